// drizzle-kit configuration: `npx drizzle-kit generate` diffs src-main/core/db/schema.ts
// against the last snapshot and writes the next SQL migration. The store applies the
// migrations folder at start (src-main/core/db/store.ts).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src-main/core/db/schema.ts',
  out: './src-main/core/db/migrations',
});
