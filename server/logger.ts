/**
 * Operator-facing log lines on stderr/stdout. Secrets (tokens, cookies, passwords) are never
 * passed here; callers log ids and hashes only.
 */
export interface Logger {
	info(message: string, fields?: Record<string, unknown>): void;
	warn(message: string, fields?: Record<string, unknown>): void;
	error(message: string, fields?: Record<string, unknown>): void;
}

function line(level: string, message: string, fields?: Record<string, unknown>): string {
	const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, errorReplacer)}` : '';
	return `${new Date().toISOString()} ${level} ${message}${extra}`;
}

function errorReplacer(_key: string, value: unknown): unknown {
	if (value instanceof Error) return { name: value.name, message: value.message };
	return value;
}

export function consoleLogger(): Logger {
	return {
		info: (message, fields) => console.log(line('info', message, fields)),
		warn: (message, fields) => console.warn(line('warn', message, fields)),
		error: (message, fields) => console.error(line('error', message, fields))
	};
}

/** Collects lines in memory; tests use it to keep output quiet and to assert on what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
	const lines: string[] = [];
	return {
		lines,
		info: (message, fields) => lines.push(line('info', message, fields)),
		warn: (message, fields) => lines.push(line('warn', message, fields)),
		error: (message, fields) => lines.push(line('error', message, fields))
	};
}
