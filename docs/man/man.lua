--[[ Pandoc filter: build a man page from the manual in docs/.

A man page source (docs/man/*.md) writes its own NAME, SYNOPSIS and SEE
ALSO, and pulls the rest from the manual itself, so that the two cannot
drift:

    ::: {include="running.md" sections="Commands|Signals" title="CONTROL"}
    :::

is replaced by the named level-2 sections of docs/running.md, each with
what it holds down to the next level-2 heading, in the order the file has
them. "(intro)" is the text before the first level-2 heading (under
`title`, or the file's own title, as a heading); "*" is every section. A
section named but not found stops the build: a renamed heading in docs/
must be renamed here too.

Headings move up one level (a "##" becomes a man .SH, in capitals as man
pages have them), and links between the manual's pages become their text:
a man page cannot follow them. Standard library and pandoc's own Lua only.
]]

local DOCS = nil -- docs/, set from the metadata (docs_dir)

local function read_doc(name)
  local path = DOCS .. "/" .. name
  local f = io.open(path, "r")
  if not f then
    error("man.lua: cannot read " .. path)
  end
  local text = f:read("a")
  f:close()
  return pandoc.read(text, "markdown").blocks
end

local function wanted_set(spec)
  local set, order = {}, {}
  for name in string.gmatch(spec, "[^|]+") do
    set[name] = false
    table.insert(order, name)
  end
  return set, order
end

-- A manual heading as a man heading: one level up, .SH in capitals.
local function promote(h)
  local level = h.level - 1
  local content = h.content
  if level == 1 then
    content = { pandoc.Str(pandoc.utils.stringify(h):upper()) }
  end
  return pandoc.Header(level, content)
end

-- The blocks of `name` under the wanted level-2 headings (and the intro).
local function select(name, spec, title)
  local wanted, order = wanted_set(spec)
  local all = wanted["*"] ~= nil
  local out, keeping, doc_title = {}, wanted["(intro)"] ~= nil, nil
  if keeping then
    wanted["(intro)"] = true
  end
  local intro_at = 1
  for _, b in ipairs(read_doc(name)) do
    if b.t == "Header" and b.level == 1 then
      doc_title = pandoc.utils.stringify(b)
    elseif b.t == "Header" and b.level == 2 then
      local text = pandoc.utils.stringify(b)
      keeping = all or wanted[text] ~= nil
      if keeping then
        wanted[text] = true
        table.insert(out, promote(b))
      end
    elseif keeping then
      table.insert(out, b.t == "Header" and promote(b) or b)
    end
  end
  if wanted["(intro)"] then
    local heading = title or doc_title or name
    table.insert(out, intro_at, pandoc.Header(1, { pandoc.Str(heading:upper()) }))
  end
  for _, section in ipairs(order) do
    if section ~= "*" and not wanted[section] then
      error("man.lua: " .. name .. " has no section '## " .. section .. "'")
    end
  end
  return out
end

-- A cell's text as inlines (a table cell holds one Plain block).
local function inlines_of(blocks)
  local out = {}
  for i, b in ipairs(blocks) do
    if i > 1 then
      table.insert(out, pandoc.Space())
    end
    for _, x in ipairs(b.content or {}) do
      table.insert(out, x)
    end
  end
  return out
end

-- A table as a man page lists things: a tagged paragraph (.TP) per row,
-- the first cell its tag, the others below it (from the third on as
-- "header: text"), so that it reads at any terminal width.
local function table_to_list(tbl)
  local simple = pandoc.utils.to_simple_table(tbl)
  local heads = simple.headers
  local items = {}
  for _, row in ipairs(simple.rows) do
    local body = {}
    for col = 2, #row do
      local text = inlines_of(row[col])
      if #text > 0 then
        if col > 2 then
          local label = pandoc.utils.stringify(heads[col])
          table.insert(text, 1, pandoc.Emph({ pandoc.Str(label .. ":") }))
          table.insert(text, 2, pandoc.Space())
        end
        table.insert(body, pandoc.Para(text))
      end
    end
    table.insert(items, { inlines_of(row[1]), { body } })
  end
  return pandoc.DefinitionList(items)
end

-- Links within the manual become their text (a man page cannot follow
-- them); web links stay. Tables become lists.
local function for_man(blocks)
  return pandoc.walk_block(pandoc.Div(blocks), {
    Link = function(l)
      if l.target:match("^%a+://") then
        return nil
      end
      return l.content
    end,
    Table = table_to_list,
  }).content
end

function Pandoc(doc)
  DOCS = pandoc.utils.stringify(doc.meta.docs_dir or "docs")
  local blocks = {}
  for _, b in ipairs(doc.blocks) do
    if b.t == "Div" and b.attributes.include then
      local picked = select(b.attributes.include, b.attributes.sections or "*",
        b.attributes.title)
      for _, x in ipairs(for_man(picked)) do
        table.insert(blocks, x)
      end
    else
      table.insert(blocks, b)
    end
  end
  return pandoc.Pandoc(blocks, doc.meta)
end
