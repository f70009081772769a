// How a session's ending reads at a glance, like an outcome's badge: a glyph, a label
// and a tone. An ending that is an outcome of the last attempt (client aborted,
// disconnected…) reads exactly as that outcome's badge; the three that only a session
// has (gave up after retries, rate limited, context exhausted) get their own. Pure.

import { SESSION_ENDINGS, type SessionEndingKind } from '../../src-main/common/contract.js';
import { BADGES, type BadgeInfo } from './outcome.js';

export type EndingInfo = Omit<BadgeInfo, 'kind'> & { kind: SessionEndingKind };

const SESSION_ONLY: Record<'gave_up_after_retries' | 'rate_limited' | 'context_exhausted', Omit<BadgeInfo, 'kind'>> = {
  gave_up_after_retries: { glyph: '↻', label: 'gave up after retries', tone: 'bad', meaning: 'The last turn was tried two or more times and every attempt failed.' },
  rate_limited: { glyph: '⧗', label: 'rate limited', tone: 'bad', meaning: 'The last attempts got 429 from the provider.' },
  context_exhausted: { glyph: '▤', label: 'context exhausted', tone: 'bad', meaning: 'The provider refused the conversation as longer than the model’s context window.' },
};

export function endingInfo(kind: SessionEndingKind): EndingInfo {
  switch (kind) {
    case 'gave_up_after_retries':
    case 'rate_limited':
    case 'context_exhausted':
      return { kind, ...SESSION_ONLY[kind] };
    default:
      return { kind, ...BADGES[kind] };
  }
}

/** The order of the ending filter: as the contract lists them. */
export const ENDING_ORDER: readonly SessionEndingKind[] = SESSION_ENDINGS;
