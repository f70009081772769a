// Copy-ready setup snippets that point each tool at Streamtap, built from the real base
// URL. Kept conservative: only settings the tools document, and a plain statement where
// a tool cannot be recorded by a local proxy at all. Pure.

export interface SnippetBlock {
  label: string;
  code: string;
}

export interface ToolSetup {
  id: string;
  title: string;
  /** client names (as the core labels them) that count as "seen" for this tool */
  clients: string[];
  blocks: SnippetBlock[];
  notes: string[];
  /** false when the tool's traffic cannot reach a local proxy */
  supported: boolean;
}

export function toolSetups(baseUrl: string): ToolSetup[] {
  const base = baseUrl.replace(/\/+$/, '');
  const v1 = `${base}/v1`;
  return [
    {
      id: 'codex',
      title: 'Codex CLI',
      clients: ['Codex', 'codex_exec'],
      supported: true,
      blocks: [
        {
          label: '~/.codex/config.toml',
          code: `# top-level keys go before any [table]
model_provider = "streamtap"

[model_providers.streamtap]
name = "Streamtap"
base_url = "${v1}"
env_key = "OPENAI_API_KEY"
wire_api = "responses"`,
        },
      ],
      notes: [
        'Codex ignores OPENAI_BASE_URL: use a model provider in config.toml as above.',
        'env_key names the variable that holds your API key; the key itself stays out of the file.',
      ],
    },
    {
      id: 'claude-code',
      title: 'Claude Code',
      clients: ['Claude Code'],
      supported: true,
      blocks: [{ label: 'shell', code: `export ANTHROPIC_BASE_URL=${base}\nclaude` }],
      notes: ['Or set it for every session in ~/.claude/settings.json: { "env": { "ANTHROPIC_BASE_URL": "' + base + '" } }.'],
    },
    {
      id: 'opencode',
      title: 'opencode',
      clients: ['opencode'],
      supported: true,
      blocks: [
        {
          label: 'opencode.json',
          code: JSON.stringify(
            {
              $schema: 'https://opencode.ai/config.json',
              provider: {
                anthropic: { options: { baseURL: v1 } },
                openai: { options: { baseURL: v1 } },
              },
            },
            null,
            2,
          ),
        },
      ],
      notes: ['Keep only the providers you use. opencode expects baseURL with /v1 for both.'],
    },
    {
      id: 'openai-sdk',
      title: 'OpenAI SDK',
      clients: ['OpenAI/JS', 'OpenAI/Python'],
      supported: true,
      blocks: [
        { label: 'JavaScript / TypeScript', code: `import OpenAI from 'openai';\n\nconst client = new OpenAI({ baseURL: '${v1}' });` },
        { label: 'Python', code: `from openai import OpenAI\n\nclient = OpenAI(base_url="${v1}")` },
        { label: 'or, for both, the environment', code: `export OPENAI_BASE_URL=${v1}` },
      ],
      notes: [],
    },
    {
      id: 'anthropic-sdk',
      title: 'Anthropic SDK',
      clients: ['Anthropic/JS', 'Anthropic/Python'],
      supported: true,
      blocks: [
        { label: 'JavaScript / TypeScript', code: `import Anthropic from '@anthropic-ai/sdk';\n\nconst client = new Anthropic({ baseURL: '${base}' });` },
        { label: 'Python', code: `from anthropic import Anthropic\n\nclient = Anthropic(base_url="${base}")` },
        { label: 'or, for both, the environment', code: `export ANTHROPIC_BASE_URL=${base}` },
      ],
      notes: ['No /v1 here: the Anthropic SDKs add it themselves.'],
    },
    {
      id: 'aider',
      title: 'Aider',
      clients: ['Aider'],
      supported: true,
      blocks: [
        { label: 'OpenAI models', code: `aider --openai-api-base ${v1}\n# or: export OPENAI_API_BASE=${v1}` },
        { label: 'Anthropic models', code: `export ANTHROPIC_BASE_URL=${base}\naider --model anthropic/claude-sonnet-4-5` },
      ],
      notes: [
        'Aider talks to providers through LiteLLM. --openai-api-base is an Aider option; for Anthropic models the base URL is read by LiteLLM from ANTHROPIC_BASE_URL (older LiteLLM versions read ANTHROPIC_API_BASE instead).',
        'Aider may identify itself with its SDK’s user agent, so its requests can show up under OpenAI/Python or LiteLLM.',
      ],
    },
    {
      id: 'cursor',
      title: 'Cursor',
      clients: ['Cursor'],
      supported: false,
      blocks: [],
      notes: [
        'Cursor cannot be recorded by a local proxy. Its chat and agent requests — even with your own API key and “Override OpenAI Base URL” set — are sent from Cursor’s servers, which cannot reach 127.0.0.1 on your machine.',
        'Exposing Streamtap on a public tunnel would send your credentials through it; Streamtap does not support that.',
      ],
    },
  ];
}

/** Whether any seen client belongs to the tool (case-insensitive prefix: "Claude Code 2.0.14" matches "Claude Code"). */
export function seenFor(tool: Pick<ToolSetup, 'clients'>, clientsSeen: readonly { client: string; lastSeen: number }[]): number | null {
  let last: number | null = null;
  for (const c of clientsSeen) {
    const name = c.client.toLowerCase();
    if (tool.clients.some((t) => name === t.toLowerCase() || name.startsWith(`${t.toLowerCase()} `))) last = Math.max(last ?? 0, c.lastSeen);
  }
  return last;
}
