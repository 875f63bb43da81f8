-- Prepended (scripts.ts) to the scripts whose reply is one text: escape one field so that fields
-- can be joined by "\n". "\" is written "\\" and a newline "\n"; bullmq-mapper.ts unescapeField()
-- undoes it.
local function escape(s)
  if string.find(s, "[\n\\]") then return (string.gsub(string.gsub(s, "\\", "\\\\"), "\n", "\\n")) end
  return s
end
