--[[
  Keep a stream's lease while its owner is busy (a slow or retried QuestDB write).

  Input:
    KEYS[1] lease key
    ARGV[1] consumer name
    ARGV[2] lease TTL, ms

  Output:
    1 renewed; 0 not the owner
]]
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return 1
