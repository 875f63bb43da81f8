--[[
  Enrichment: a few fields of many jobs in one round trip, instead of one HMGET per event.

  Input:
    KEYS[1 .. n] job hashes (<prefix>:<queue>:<jobId>)
    ARGV[i] "1" when job i's data and name are wanted too (its first sight), else "0"

  Output:
    per job {pb, failedReason, ats, data, name}: processedBy (the worker's name), the last failure
    reason, attempts started, and the raw data JSON and name when asked; nil where absent
]]
local out = {}
for i = 1, #KEYS do
  if ARGV[i] == "1" then
    out[i] = redis.call("HMGET", KEYS[i], "pb", "failedReason", "ats", "data", "name")
  else
    out[i] = redis.call("HMGET", KEYS[i], "pb", "failedReason", "ats")
  end
end
return out
