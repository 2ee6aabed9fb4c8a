-- sopkit's language server for Neovim: `sop lsp` for every SOP and scenario-test file, one server
-- per project (the nearest folder above the file that holds sops/). Neovim 0.8 and later start it
-- with vim.lsp.start; Neovim 0.7 (Debian 12's) with vim.lsp.start_client. Needs `sop` on PATH.
local function project_root(file)
  local dir = vim.fn.fnamemodify(file, ':p:h')
  while dir ~= '/' and dir ~= '' do
    if vim.fn.isdirectory(dir .. '/sops') == 1 then return dir end
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  return vim.fn.getcwd()
end

local clients = {} -- Neovim 0.7: one client per project root
vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
  pattern = { '*.sop.yaml', '*.test.yaml', '*.calendar.yaml' },
  callback = function(args)
    local config = { name = 'sop', cmd = { 'sop', 'lsp' }, root_dir = project_root(args.file) }
    if vim.lsp.start then
      vim.lsp.start(config, { bufnr = args.buf })
    else
      clients[config.root_dir] = clients[config.root_dir] or vim.lsp.start_client(config)
      vim.lsp.buf_attach_client(args.buf, clients[config.root_dir])
    end
  end,
})
