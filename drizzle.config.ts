import { defineConfig } from 'drizzle-kit';

// Generates SQL migrations into drizzle/ from the schema; no database connection is needed.
export default defineConfig({
	dialect: 'postgresql',
	schema: './server/db/schema.ts',
	out: './drizzle'
});
