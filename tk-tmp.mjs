import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
let t=performance.now();
const m = require('gpt-tokenizer/encoding/o200k_base');
console.log('load ms', performance.now()-t, typeof m.countTokens);
t=performance.now();
console.log(m.countTokens('Hello world <|endoftext|> 你好 🙂', {disallowedSpecial: new Set()}));
console.log('count ms', performance.now()-t);
try { console.log(m.countTokens('a <|endoftext|>')) } catch(e) { console.log('throws', e.message) }
const big = 'The quick brown fox jumps over the lazy dog. 你好世界 '.repeat(40000);
t=performance.now();
console.log(big.length, m.countTokens(big, {disallowedSpecial: new Set()}), 'ms', performance.now()-t);
const big2 = 'x'.repeat(2_000_000);
t=performance.now();
console.log(m.countTokens(big2, {disallowedSpecial: new Set()}), 'ms', performance.now()-t);
