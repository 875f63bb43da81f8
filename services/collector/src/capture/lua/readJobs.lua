--[[
  Enrichment: a few fields of many jobs in one round trip, instead of one HMGET per event.

  Input:
    KEYS[1 .. n] job hashes (<prefix>:<queue>:<jobId>)
    ARGV[i] "1" when job i's data and name are wanted too (its first sight), else "0"

  Output:
    ONE string: per job, in KEYS order, five fields pb, failedReason, ats, data, name (processedBy
    = the worker's name, the last failure reason, attempts started, and the raw data JSON and name
    when asked), all joined by "\n". In a value "\" is written "\\" and a newline "\n"; an absent
    value (or one not asked for) is written "\N". One bulk string instead of 3–5 per job.
]]
-- escape() comes from lib/escape.lua, prepended by scripts.ts.
local function field(v)
  if not v then return "\\N" end
  return escape(v)
end
local out, n = {}, 0
for i = 1, #KEYS do
  local v
  if ARGV[i] == "1" then
    v = redis.call("HMGET", KEYS[i], "pb", "failedReason", "ats", "data", "name")
  else
    v = redis.call("HMGET", KEYS[i], "pb", "failedReason", "ats")
  end
  for j = 1, 5 do
    n = n + 1
    out[n] = field(v[j])
  end
end
return table.concat(out, "\n")
