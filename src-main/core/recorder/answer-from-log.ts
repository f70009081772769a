// A finished stream's answer rebuilt from its event log. The recorder marks a final
// record `answerInLog` when the log holds every event and no cap cut the answer
// (recording.ts); the store then keeps the log alone, and readers get the answer here:
// the same events through the same API's assembler give the same text, reasoning and
// tool calls (test/unit/answer-from-log.property.test.ts runs every fixture transcript,
// however split, through the recorder, the store and back).

import type { ApiKind, RawEvent, RequestRecord } from '../../common/record.js';
import { createAssembler } from './adapters/index.js';

export type Answer = Pick<RequestRecord, 'responseText' | 'responseReasoning' | 'toolCalls'>;

export function answerFromEvents(api: ApiKind, events: readonly RawEvent[]): Answer {
  // No character cap: none was hit when the record was marked (the recorder's cap is a
  // setting, and may have changed since).
  const assembler = createAssembler(api, { maxChars: Number.MAX_SAFE_INTEGER });
  for (const ev of events) assembler.onEvent({ event: ev.event, data: ev.data, id: null });
  const a = assembler.snapshot();
  return { responseText: a.text, responseReasoning: a.reasoning, toolCalls: a.toolCalls };
}
