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

  Output:
    {1, entries, lostNow, lostTotal, gaps}  entries as XREADGROUP returns them (may be empty);
                                            gaps: pending gap records "<ms>:<count>;…" not yet stored
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

local entries = {}
local mine = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", ARGV[3], "STREAMS", KEYS[1], "0")
if mine and #mine[1][2] > 0 then
  -- Entries trimmed meanwhile come back without fields: acknowledge them, they were counted as lost.
  for _, e in ipairs(mine[1][2]) do
    if e[2] then entries[#entries + 1] = e else rcall("XACK", KEYS[1], ARGV[1], e[1]) end
  end
end
if #entries == 0 then
  local reply = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", ARGV[3], "STREAMS", KEYS[1], ">")
  if reply then entries = reply[1][2] end
end
local last = entries[#entries]
if last then
  local f = last[2]
  local isWaiting, fromActive = false, false
  for i = 1, #f, 2 do
    if f[i] == "event" and f[i + 1] == "waiting" then isWaiting = true end
    if f[i] == "prev" and f[i + 1] == "active" then fromActive = true end
  end
  if isWaiting and fromActive then
    local more = rcall("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", 1, "STREAMS", KEYS[1], ">")
    if more then entries[#entries + 1] = more[1][2][1] end
  end
end

return {1, entries, lostNow, tonumber(rcall("HGET", KEYS[2], "__lost") or "0"), rcall("HGET", KEYS[2], "__gaps") or ""}
