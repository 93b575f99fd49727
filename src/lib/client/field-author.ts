/**
 * Who set a document field to the value it has now, from the log, for the conflict line of a
 * FieldDraft ("Grace changed it to …"). The log event may land just after the change itself,
 * hence "Someone" until it does.
 */
import type { LogEvent } from '$lib/shared/protocol';

export function fieldAuthor(log: readonly LogEvent[], field: string, value: unknown, selfId: string): string {
	for (let i = log.length - 1; i >= 0; i--) {
		const event = log[i];
		const change = event.changes.find((c) => c.type === 'field.changed' && c.field === field);
		if (change?.type !== 'field.changed' || change.to !== value) continue;
		if (!event.actor) return 'The server';
		return event.actor.id === selfId ? 'You (in another window)' : event.actor.name;
	}
	return 'Someone';
}
