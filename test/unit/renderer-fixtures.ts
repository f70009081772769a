// Records for the renderer's unit tests (not a test file itself).
export { recordFixture, summaryFixture } from '../fixtures/records.js';
