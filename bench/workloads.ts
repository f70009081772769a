// The benchmark's traffic, shared by the fake provider (bench/upstream.ts), which
// answers it, and the load generator (bench/load.ts), which sends it: the SSE events
// of each workload, the request bodies, and the agent session whose conversation grows
// turn by turn. Everything is deterministic (seeded), so two runs send the same bytes.

/** Which answer the fake provider gives; sent in this request header. */
export const WORKLOAD_HEADER = 'x-bench-workload';
/** The turn of the agent session a request belongs to (the provider answers that turn). */
export const TURN_HEADER = 'x-bench-turn';

export type Workload = 'latency' | 'throughput' | 'nonstream' | 'session';

export const LATENCY_CHUNKS = 20;
export const LATENCY_CHUNK_GAP_MS = 10;
export const THROUGHPUT_CHUNKS = 200;
export const THROUGHPUT_CHUNK_BYTES = 32;
export const NONSTREAM_WORDS = 20;
export const SESSION_TURNS = 50;
/** the request body of the session's last turn */
export const SESSION_FINAL_BYTES = 200_000;

// ---- text ------------------------------------------------------------------------------

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words of the kind agent traffic carries (code, paths, prose), so that text compresses
// about as well as real prompts do, not as well as a repeated sentence.
const WORDS = (
  'the a to of and in is for that it with as on be this are by from or an at not if you we ' +
  'function return const let var import export default class interface type async await new ' +
  'string number boolean null undefined true false error message request response stream ' +
  'chunk event data model token usage input output content delta text tool call result file ' +
  'path src test index main config server client proxy record store query page filter session ' +
  'turn user assistant system prompt read write edit bash grep list open close start stop ' +
  'timeout retry abort status code header body json parse value key map set array object ' +
  'length size count time ms bytes buffer encode decode compress line column range diff patch ' +
  'commit branch merge build run check lint format module package version node electron react ' +
  'component state props render hook effect memo ref callback handler listener queue batch ' +
  'flush write read cursor offset limit order sort group sum max min avg median p99 latency ' +
  'throughput memory cpu thread worker process signal exit spawn child pid port host socket'
).split(' ');

/** `bytes` of ASCII text (words, some lines indented like code), never needing a JSON escape but "\n". */
export function words(rand: () => number, bytes: number): string {
  let out = '';
  let line = 0;
  while (out.length < bytes) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    if (line > 40 + rand() * 60) {
      out += '\n' + ' '.repeat(Math.floor(rand() * 4) * 2);
      line = 0;
    } else if (out.length > 0) {
      out += rand() < 0.08 ? '.' + (rand() < 0.5 ? ' ' : '') : ' ';
      line++;
    }
    out += rand() < 0.05 ? `${w}${Math.floor(rand() * 1000)}` : w;
    line += w.length;
  }
  return out.slice(0, bytes);
}

// ---- OpenAI chat completions (latency, throughput, nonstream) ---------------------------

const CHAT_ID = 'chatcmpl-Bench0a1b2c3d4e5f6g7h8i9j0kLmN';
const CHAT_MODEL = 'gpt-4o-mini-2024-07-18';
const CREATED = 1_730_000_000;

/** One chat.completion.chunk event, with the envelope OpenAI puts around each. */
function chatEvent(choices: object[], extra: object = {}): string {
  return `data: ${JSON.stringify({
    id: CHAT_ID,
    object: 'chat.completion.chunk',
    created: CREATED,
    model: CHAT_MODEL,
    service_tier: 'default',
    system_fingerprint: 'fp_0ba0d124f1',
    choices,
    ...extra,
  })}\n\n`;
}

function chatChunk(delta: object, finish: string | null): string {
  return chatEvent([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
}

function chatUsageChunk(prompt: number, completion: number): string {
  return chatEvent([], { usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });
}

/** A chat stream as a provider writes it: the opening role chunk, one content chunk per
 * piece of text, the finish chunk, the usage chunk (include_usage) and [DONE]. */
export interface ChatStream {
  opening: string;
  deltas: string[];
  closing: string;
}

function chatStream(pieces: string[]): ChatStream {
  return {
    opening: chatChunk({ role: 'assistant', content: '', refusal: null }, null),
    deltas: pieces.map((p) => chatChunk({ content: p }, null)),
    closing: chatChunk({}, 'stop') + chatUsageChunk(24, pieces.length) + 'data: [DONE]\n\n',
  };
}

/** 20 one-word chunks (the latency workload). */
export function latencyStream(): ChatStream {
  const rand = prng(20);
  return chatStream(Array.from({ length: LATENCY_CHUNKS }, (_, i) => (i === 0 ? '' : ' ') + words(rand, 4 + Math.floor(rand() * 5)).split(' ')[0]));
}

/** 200 chunks of 32 B of text each (the throughput workload). */
export function throughputStream(): ChatStream {
  const rand = prng(200);
  return chatStream(Array.from({ length: THROUGHPUT_CHUNKS }, () => words(rand, THROUGHPUT_CHUNK_BYTES).replace(/\n/g, ' ')));
}

/** A whole chat.completion of 20 words (the non-streaming workload). */
export function nonStreamBody(): string {
  const text = words(prng(21), 400).replace(/\n/g, ' ').split(' ').slice(0, NONSTREAM_WORDS).join(' ');
  return JSON.stringify({
    id: CHAT_ID,
    object: 'chat.completion',
    created: CREATED,
    model: CHAT_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 24, completion_tokens: NONSTREAM_WORDS, total_tokens: 24 + NONSTREAM_WORDS },
    service_tier: 'default',
    system_fingerprint: 'fp_0ba0d124f1',
  });
}

/** The request a chat client sends for the chat workloads. */
export function chatRequestBody(stream: boolean): string {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a concise assistant inside a benchmark.' },
      { role: 'user', content: 'Say something short about streaming proxies.' },
    ],
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}

export const CHAT_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json',
  authorization: 'Bearer sk-proj-bench0000000000000000000000000000000000',
  'user-agent': 'OpenAI/JS 6.3.0',
  'x-stainless-lang': 'js',
  'x-stainless-retry-count': '0',
};

// ---- the agent session (Anthropic messages, like Claude Code) ------------------------

/** What the assistant answers on a turn: some text and one tool call. */
export interface SessionAnswer {
  text: string;
  toolId: string;
  toolName: string;
  toolInput: Record<string, string>;
}

const TOOL_NAMES = ['Read', 'Bash', 'Edit', 'Grep', 'Glob'];

export function sessionAnswer(turn: number): SessionAnswer {
  const rand = prng(1000 + turn);
  const toolName = TOOL_NAMES[turn % TOOL_NAMES.length]!;
  return {
    text: words(rand, 200 + Math.floor(rand() * 400)).replace(/\n/g, ' '),
    toolId: `toolu_01Bench${String(turn).padStart(4, '0')}${Math.floor(rand() * 1e8).toString(36)}`,
    toolName,
    toolInput: toolName === 'Bash' ? { command: `npm test -- ${words(rand, 20).replace(/\s+/g, '-')}`, description: 'Run the tests' } : { file_path: `/home/dev/project/src/${words(rand, 24).replace(/\W+/g, '-')}.ts` },
  };
}

/** The SSE stream Anthropic sends for a turn's answer. */
export function sessionStream(turn: number, inputTokens: number): string {
  const a = sessionAnswer(turn);
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const out: string[] = [
    ev('message_start', {
      message: {
        id: `msg_01Bench${String(turn).padStart(6, '0')}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: Math.floor(inputTokens * 0.9), output_tokens: 1 },
      },
    }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ];
  for (let i = 0; i < a.text.length; i += 40) out.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: a.text.slice(i, i + 40) } }));
  out.push(ev('content_block_stop', { index: 0 }));
  out.push(ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: a.toolId, name: a.toolName, input: {} } }));
  const input = JSON.stringify(a.toolInput);
  for (let i = 0; i < input.length; i += 30) out.push(ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: input.slice(i, i + 30) } }));
  out.push(ev('content_block_stop', { index: 1 }));
  out.push(ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: Math.ceil((a.text.length + input.length) / 4) } }));
  out.push(ev('message_stop', {}));
  return out.join('');
}

type Message = { role: 'user' | 'assistant'; content: unknown };

/**
 * An agent session as Claude Code sends it: every turn re-sends the whole conversation
 * (system prompt, tool definitions, every message so far) plus what is new — the
 * assistant's last answer and the tool's result. Tool results are sized so that the
 * request grows linearly to SESSION_FINAL_BYTES on the last turn.
 */
export class AgentSession {
  readonly sessionId: string;
  private readonly rand: () => number;
  private readonly system: { type: 'text'; text: string; cache_control?: object }[];
  private readonly tools: object[];
  private readonly messages: Message[] = [];
  private turn = 0;
  private readonly baseBytes: number;

  constructor(
    seed = 7,
    readonly turns = SESSION_TURNS,
    readonly finalBytes = SESSION_FINAL_BYTES,
  ) {
    this.rand = prng(seed);
    this.sessionId = `5e55-bench-${seed.toString(16).padStart(4, '0')}-0000-000000000000`;
    this.system = [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text', text: words(this.rand, 6_000), cache_control: { type: 'ephemeral' } },
    ];
    this.tools = TOOL_NAMES.concat(['Write', 'TodoWrite', 'WebFetch', 'Task', 'NotebookEdit']).map((name) => ({
      name,
      description: words(this.rand, 1_000 + Math.floor(this.rand() * 1_000)),
      input_schema: {
        type: 'object',
        properties: { file_path: { type: 'string', description: words(this.rand, 80) }, command: { type: 'string', description: words(this.rand, 80) } },
        required: ['file_path'],
        additionalProperties: false,
        $schema: 'http://json-schema.org/draft-07/schema#',
      },
    }));
    this.messages.push({ role: 'user', content: [{ type: 'text', text: words(this.rand, 400) }] });
    this.baseBytes = Buffer.byteLength(this.body());
  }

  get done(): boolean {
    return this.turn >= this.turns;
  }

  /** the turn the next body is for (0-based) */
  get nextTurn(): number {
    return this.turn;
  }

  private body(): string {
    return JSON.stringify({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32_000,
      system: this.system,
      tools: this.tools,
      messages: this.messages,
      metadata: { user_id: 'user_bench_account__session_5e55' },
      stream: true,
    });
  }

  /** The next turn's request body; call after the previous turn was answered. */
  next(): string {
    if (this.done) throw new Error('the session has no more turns');
    if (this.turn > 0) {
      const a = sessionAnswer(this.turn - 1);
      this.messages.push({
        role: 'assistant',
        content: [
          { type: 'text', text: a.text },
          { type: 'tool_use', id: a.toolId, name: a.toolName, input: a.toolInput },
        ],
      });
      // Fill the tool result so this body lands on the straight line from the first
      // turn's size to finalBytes.
      const target = this.baseBytes + ((this.finalBytes - this.baseBytes) * this.turn) / (this.turns - 1);
      const result = { type: 'tool_result', tool_use_id: a.toolId, content: '' };
      this.messages.push({ role: 'user', content: [result] });
      const without = Buffer.byteLength(this.body());
      // words() writes only ASCII, and each "\n" takes two bytes in JSON.
      let text = words(this.rand, Math.max(0, target - without));
      let over = Buffer.byteLength(JSON.stringify(text)) - 2 - (target - without);
      while (over > 0 && text.length > 0) {
        text = text.slice(0, Math.max(0, text.length - over));
        over = Buffer.byteLength(JSON.stringify(text)) - 2 - (target - without);
      }
      result.content = text;
    }
    this.turn++;
    return this.body();
  }

  headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14',
      'x-api-key': 'sk-ant-api03-bench000000000000000000000000000000000000000000000',
      'user-agent': 'claude-cli/2.0.14 (external, cli)',
      'x-app': 'cli',
      'x-claude-code-session-id': this.sessionId,
      'x-stainless-retry-count': '0',
      'x-stainless-lang': 'js',
    };
  }
}
