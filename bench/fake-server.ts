// The fake upstream as its own process for the benchmark, so the provider, the proxy
// and the load generator each have an event loop of their own. Prints "fake URL".
import { startFakeUpstream } from '../test/fixtures/fake-upstream.js';

const fake = await startFakeUpstream();
// The benchmark sends thousands of requests: forget them as they come.
setInterval(() => fake.clearRequests(), 1_000).unref();
process.stdout.write(`fake ${fake.url}\n`);
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
