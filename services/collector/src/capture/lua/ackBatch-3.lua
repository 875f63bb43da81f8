--[[
  After QuestDB accepted a batch: acknowledge its entries and save the state of the jobs it left
  open, in one step, so the saved state always matches exactly the acknowledged entries.

  Input:
    KEYS[1] events stream
    KEYS[2] capture state hash
    KEYS[3] lease key
    ARGV[1] consumer group
    ARGV[2] consumer name (the lease owner)
    ARGV[3] gap records stored with this batch (a prefix of the hash's __gaps), or ""
    ARGV[4] number of entry ids n, then ARGV[5 .. 4+n] the ids
    then m, and m (jobId, state) pairs to save; then k, and k jobIds to forget (finished)

  Output:
    1 done; 0 this consumer lost the lease (nothing changed: the new owner redoes the batch)
]]
local rcall = redis.call
if rcall("GET", KEYS[3]) ~= ARGV[2] then return 0 end
local CHUNK = 1000

local function each(from, count, step, fn)
  local i = from
  local stop = from + count * step - 1
  while i <= stop do
    local j = math.min(i + CHUNK * step - 1, stop)
    fn(i, j)
    i = j + 1
  end
end

local pos = 4
local n = tonumber(ARGV[pos])
each(pos + 1, n, 1, function(i, j) rcall("XACK", KEYS[1], ARGV[1], unpack(ARGV, i, j)) end)
pos = pos + n + 1
local m = tonumber(ARGV[pos])
each(pos + 1, m, 2, function(i, j) rcall("HSET", KEYS[2], unpack(ARGV, i, j)) end)
pos = pos + 2 * m + 1
local k = tonumber(ARGV[pos])
each(pos + 1, k, 1, function(i, j) rcall("HDEL", KEYS[2], unpack(ARGV, i, j)) end)

if ARGV[3] ~= "" then
  local gaps = rcall("HGET", KEYS[2], "__gaps") or ""
  if string.sub(gaps, 1, #ARGV[3]) == ARGV[3] then
    rcall("HSET", KEYS[2], "__gaps", string.sub(gaps, #ARGV[3] + 1))
  end
end
return 1
