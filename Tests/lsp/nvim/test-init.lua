-- The headless Neovim of Tests/lsp/test_neovim.py: the editor set-up of docs/lsp.md (sop-lsp.lua),
-- then a session as an author has it, its observations written as JSON to $SOP_NVIM_RESULT:
-- open an SOP, type a misspelt state, wait for the diagnostic, fix it, complete a ticket field,
-- rename a state (the server's WorkspaceEdit applied by Neovim) and read the buffers back.
-- Every wait has a time-out, and a watchdog quits Neovim whatever happens.
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(here .. 'sop-lsp.lua')

local result_path = assert(os.getenv('SOP_NVIM_RESULT'), 'SOP_NVIM_RESULT is not set')
local sop_file = assert(os.getenv('SOP_NVIM_FILE'), 'SOP_NVIM_FILE is not set')
local timeout = tonumber(os.getenv('SOP_NVIM_TIMEOUT') or '20') * 1000
local result = {}

local function finish()
  local f = assert(io.open(result_path, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qa!')
end

vim.defer_fn(function()
  result.error = 'watchdog: the session took longer than ' .. (4 * timeout) .. ' ms'
  finish()
end, 4 * timeout)

local function buffer_clients(bufnr)
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = bufnr }) end
  local out = {}
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do table.insert(out, c) end
  return out
end

local function codes(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do table.insert(out, d.code) end
  return out
end

local function has_code(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code then return true end
  end
  return false
end

local function line_of(bufnr, pattern)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(pattern, 1, true) then return i - 1, line end
  end
  error('no line with ' .. pattern)
end

local function session()
  vim.cmd('edit ' .. vim.fn.fnameescape(sop_file))
  local buf = vim.api.nvim_get_current_buf()
  result.attached = vim.wait(timeout, function()
    local cs = buffer_clients(buf)
    return #cs > 0 and cs[1].initialized ~= false
  end, 20)
  if not result.attached then error('no language client attached to ' .. sop_file) end
  local client = buffer_clients(buf)[1]
  result.offset_encoding = client.offset_encoding

  -- Type a mistake: a misspelt transition target.
  local row, line = line_of(buf, '- to: categorise')
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { (line:gsub('categorise', 'categorsie')) })
  result.mistake_reported = vim.wait(timeout, function() return has_code(buf, 'unknown-state') end, 20)
  result.codes_after_mistake = codes(buf)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == 'unknown-state' then result.mistake_at = { lnum = d.lnum, col = d.col, end_col = d.end_col } end
  end
  result.mistake_row = row

  -- Fix it: the diagnostic goes.
  vim.api.nvim_buf_set_lines(buf, row, row + 1, false, { line })
  result.mistake_cleared = vim.wait(timeout, function() return not has_code(buf, 'unknown-state') end, 20)

  -- Complete a ticket field: a guard being typed after `ticket.`.
  local after_row = line_of(buf, '- to: abandoned')
  local typed = '        when: ticket.'
  vim.api.nvim_buf_set_lines(buf, after_row + 1, after_row + 1, false, { typed })
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = after_row + 1, character = #typed },
    context = { triggerKind = 2, triggerCharacter = '.' },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, timeout)
  result.completion = {}
  for _, response in pairs(responses or {}) do
    if response.err then result.completion_error = response.err.message end
    local items = response.result and (response.result.items or response.result) or {}
    for _, item in ipairs(items) do table.insert(result.completion, item.label) end
  end
  vim.api.nvim_buf_set_lines(buf, after_row + 1, after_row + 2, false, {})

  -- Rename a state, on its definition; Neovim applies the server's edit to every file it names.
  local state_row = line_of(buf, '  categorise:')
  local rename = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = state_row, character = 4 },
    newName = 'classify',
  }
  responses = vim.lsp.buf_request_sync(buf, 'textDocument/rename', rename, timeout)
  for _, response in pairs(responses or {}) do
    if response.err then result.rename_error = response.err.message end
    if response.result then vim.lsp.util.apply_workspace_edit(response.result, client.offset_encoding) end
  end
  result.sop_text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  local test_file = sop_file:gsub('%.sop%.yaml$', '.test.yaml')
  local test_buf = vim.fn.bufnr(test_file)
  if test_buf ~= -1 then
    vim.fn.bufload(test_buf)
    result.test_text = table.concat(vim.api.nvim_buf_get_lines(test_buf, 0, -1, false), '\n')
  end
  result.nvim_version = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor)
end

vim.schedule(function()
  local ok, err = pcall(session)
  if not ok then result.error = tostring(err) end
  finish()
end)
