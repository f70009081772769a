// Recognises a provider refusing a request because it does not fit the model's context
// window, in the shapes the providers answer with, and reads the token counts they name:
//   OpenAI          400 {error:{code:'context_length_exceeded', message:"This model's maximum
//                   context length is 128000 tokens. However, your messages resulted in
//                   131409 tokens. …"}} (Responses: "Your input exceeds the context window
//                   of this model…", same code)
//   Anthropic       400 {type:'error', error:{type:'invalid_request_error', message:'prompt is
//                   too long: 210000 tokens > 200000 maximum'}}, or "input length and
//                   `max_tokens` exceed context limit: 198000 + 21333 > 200000"
//   OpenRouter, vLLM and other OpenAI-compatible servers: "maximum context length is N
//                   tokens. However, you requested about M tokens"
//   Gemini          "The input token count (N) exceeds the maximum number of tokens allowed (M)."
// Pure.

import type { RequestSummary } from '../../common/record.js';

export interface ContextRefusal {
  /** the input the provider counted, when it said */
  requestedTokens: number | null;
  /** the window the provider named, when it said */
  limitTokens: number | null;
}

const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s.replace(/[,_\s]/g, '')));
const N = '(\\d[\\d,]*)';

const PATTERNS: { re: RegExp; read: (m: RegExpExecArray) => ContextRefusal }[] = [
  // Anthropic
  { re: new RegExp(`prompt is too long:?\\s*${N} tokens\\s*>\\s*${N}`, 'i'), read: (m) => ({ requestedTokens: num(m[1]), limitTokens: num(m[2]) }) },
  { re: new RegExp(`exceed context limit:?\\s*${N}\\s*\\+\\s*${N}\\s*>\\s*${N}`, 'i'), read: (m) => ({ requestedTokens: num(m[1]), limitTokens: num(m[3]) }) },
  // OpenAI and OpenAI-compatible servers
  {
    re: new RegExp(`maximum context length is ${N} tokens[\\s\\S]*?(?:resulted in|requested(?: about)?|you have)\\s+${N}`, 'i'),
    read: (m) => ({ requestedTokens: num(m[2]), limitTokens: num(m[1]) }),
  },
  { re: new RegExp(`maximum context length is ${N} tokens`, 'i'), read: (m) => ({ requestedTokens: null, limitTokens: num(m[1]) }) },
  // Gemini
  { re: new RegExp(`input token count \\(?${N}\\)? exceeds the maximum number of tokens allowed \\(?${N}\\)?`, 'i'), read: (m) => ({ requestedTokens: num(m[1]), limitTokens: num(m[2]) }) },
];

/** Phrases that say "too long for the window" without numbers. */
const WITHOUT_NUMBERS = /exceeds the context window|context[_ ]length[_ ]exceeded|context window exceeded|prompt is too long|too many tokens/i;

/** The refusal, or null when the request was not refused for its size. */
export function contextRefusal(r: Pick<RequestSummary, 'error'>): ContextRefusal | null {
  // A non-2xx answer's error, or an error event inside a 200 stream (a Responses
  // stream's response.failed): both are in `error`.
  const e = r.error;
  if (!e) return null;
  const message = e.message ?? '';
  for (const p of PATTERNS) {
    const m = p.re.exec(message);
    if (m) return p.read(m);
  }
  if (e.code === 'context_length_exceeded' || e.type === 'context_length_exceeded' || WITHOUT_NUMBERS.test(message)) {
    return { requestedTokens: null, limitTokens: null };
  }
  return null;
}
