--[[
  Read the next batch of one events stream for the collector that owns it, counting entries that
  were trimmed before the group read them. Atomic, so nothing is added or trimmed in between.

  Input:
    KEYS[1] events stream (BullMQ's <prefix>:<queue>:events, or the ingest stream)
    KEYS[2] capture state hash (captureKeys(stream).state)
    KEYS[3] lease key (captureKeys(stream).lease)
    ARGV[1] consumer group
    ARGV[2] consumer name (the lease owner)
    ARGV[3] most entries to read
    ARGV[4] lease TTL, ms
    ARGV[5] "1" for a BullMQ stream (entries compacted, see below), "0" for the ingest stream

  Output:
    {1, entries, lostNow, lostTotal, gaps, read}
      entries: ingest stream: as XREADGROUP returns them; BullMQ stream: ONE string, the
               fields id, event, jobId, extra of every entry joined by "\n", where extra = the
               name of `added`, the failedReason of `failed`, the prev of `waiting`, else "";
               in jobId and extra, "\" is written "\\" and a newline "\n" (one bulk string
               instead of four per entry: a fraction of the reply and parse cost)
      gaps: pending gap records "<ms>:<count>;…" not yet stored; read: entries read in all
    {0}   this consumer does not own the lease
    {-2}  the stream does not exist (nothing captured yet, or it was deleted)

  escape() comes from lib/escape.lua, prepended by scripts.ts.

  Compaction (BullMQ streams): only lifecycle entries are returned, as four strings each; the rest
  (`waiting` of a new job, `drained`, `progress`, `retries-exhausted`, …) make no row, so they are
  acknowledged here and never leave Redis. That halves what the collector parses.
    {0}   this consumer does not own the lease
    {-2}  the stream does not exist (nothing captured yet, or it was deleted)

  Gap rule: nobody XDELs a BullMQ events stream, so every entry ever added is either still in it or
  was trimmed. The group's entries-read counts every entry up to its last-delivered-id (the group is
  created with ENTRIESREAD set, and corrected here after a gap). When the oldest live entry is newer
  than last-delivered-id, (entries-added − length) − entries-read entries were trimmed unread.

  Look-ahead: BullMQ writes a stall as `waiting` (prev active) then `stalled` in one script, so when
  a batch ends on such a `waiting`, one more entry is read: the two are never split across batches.

  Own pending first: after every stored batch this consumer has acknowledged everything it read, so
  entries still pending under its name were read by a call whose reply it never got (a connection
  dropped after Redis ran the script, and the client sent it again). They are returned again, in
  order, before anything new.
]]
local rcall = redis.call
if rcall("GET", KEYS[3]) ~= ARGV[2] then return {0} end
rcall("PEXPIRE", KEYS[3], ARGV[4])

local ok, info = pcall(rcall, "XINFO", "STREAM", KEYS[1])
if not ok then return {-2} end
local stream = {}
for i = 1, #info, 2 do stream[info[i]] = info[i + 1] end

local group
for _, g in ipairs(rcall("XINFO", "GROUPS", KEYS[1])) do
  local fields = {}
  for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
  if fields["name"] == ARGV[1] then group = fields end
end
if not group then
  -- First sight of this stream: read what it still holds; what it lost before is not ours to count.
  rcall("XGROUP", "CREATE", KEYS[1], ARGV[1], "0", "ENTRIESREAD", stream["entries-added"] - stream["length"])
  group = {["last-delivered-id"] = "0-0", ["entries-read"] = stream["entries-added"] - stream["length"]}
end

local function newer(a, b)
  local ams, aseq = string.match(a, "(%d+)-(%d+)")
  local bms, bseq = string.match(b, "(%d+)-(%d+)")
  ams, bms = tonumber(ams), tonumber(bms)
  if ams ~= bms then return ams > bms end
  return tonumber(aseq) > tonumber(bseq)
end

local lostNow = 0
local read = group["entries-read"]
if read then
  local first = stream["first-entry"]
  if stream["length"] == 0 then
    lostNow = stream["entries-added"] - read
  elseif first and newer(first[1], group["last-delivered-id"]) then
    lostNow = (stream["entries-added"] - stream["length"]) - read
  end
  if lostNow > 0 then
    rcall("XGROUP", "SETID", KEYS[1], ARGV[1], group["last-delivered-id"], "ENTRIESREAD", read + lostNow)
    rcall("HINCRBY", KEYS[2], "__lost", lostNow)
    local now = rcall("TIME")
    local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
    rcall("HSET", KEYS[2], "__gaps", (rcall("HGET", KEYS[2], "__gaps") or "") .. ms .. ":" .. lostNow .. ";")
  else
    lostNow = 0
  end
end

local compact = ARGV[5] == "1"
local entries, noise = {}, {}
local kept, read = 0, 0
local lastEvent, lastPrev

-- Keep one entry (XREADGROUP's {id, fields}): compacted for a BullMQ stream, as is otherwise.
local function take(e)
  read = read + 1
  local id, f = e[1], e[2]
  if not f then
    noise[#noise + 1] = id -- trimmed meanwhile (counted as lost): nothing to map
    return
  end
  if not compact then
    entries[#entries + 1] = e
    kept = kept + 1
    return
  end
  local ev, job, name, prev, reason
  for i = 1, #f, 2 do
    local k = f[i]
    if k == "event" then ev = f[i + 1]
    elseif k == "jobId" then job = f[i + 1]
    elseif k == "name" then name = f[i + 1]
    elseif k == "prev" then prev = f[i + 1]
    elseif k == "failedReason" then reason = f[i + 1] end
  end
  local lifecycle = job and (ev == "added" or ev == "active" or ev == "completed" or ev == "failed"
    or ev == "delayed" or ev == "stalled" or ev == "removed" or (ev == "waiting" and (prev == "active" or prev == "delayed")))
  if not lifecycle then
    noise[#noise + 1] = id
    return
  end
  local extra = (ev == "added" and name) or (ev == "failed" and reason) or (ev == "waiting" and prev) or ""
  entries[#entries + 1] = id
  entries[#entries + 1] = ev
  entries[#entries + 1] = escape(job)
  entries[#entries + 1] = escape(extra or "")
  kept = kept + 1
  lastEvent, lastPrev = ev, prev
end

local mine = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", ARGV[3], "STREAMS", KEYS[1], "0")
if mine then for _, e in ipairs(mine[1][2]) do take(e) end end
if kept == 0 then
  local reply = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", ARGV[3], "STREAMS", KEYS[1], ">")
  if reply then for _, e in ipairs(reply[1][2]) do take(e) end end
end
if lastEvent == "waiting" and lastPrev == "active" then
  local more = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", 1, "STREAMS", KEYS[1], ">")
  if more then take(more[1][2][1]) end
end
for i = 1, #noise, 1000 do
  rcall("XACK", KEYS[1], ARGV[1], unpack(noise, i, math.min(i + 999, #noise)))
end

if compact then entries = table.concat(entries, "\n") end
return {1, entries, lostNow, tonumber(rcall("HGET", KEYS[2], "__lost") or "0"), rcall("HGET", KEYS[2], "__gaps") or "", read}
