/**
 * Editing a checklist template's list on the admin page: add, remove, move up or down, mark as a
 * capture step. Pure functions returning new lists, so the page can bind and undo by value.
 */
import type { TemplateItem } from './response-api';

/** The item at `index` moved by `delta` places (clamped to the list); the same list if it cannot move. */
export function moveItem<T>(items: readonly T[], index: number, delta: number): T[] {
	const target = Math.max(0, Math.min(items.length - 1, index + delta));
	if (index < 0 || index >= items.length || target === index) return [...items];
	const next = [...items];
	const [item] = next.splice(index, 1);
	next.splice(target, 0, item);
	return next;
}

/** Items as the API takes them: labels trimmed, empty rows dropped, `capture` only when true. */
export function cleanItems(items: readonly TemplateItem[]): TemplateItem[] {
	return items
		.map((item) => ({ ...(item.id ? { id: item.id } : {}), label: item.label.trim(), ...(item.capture ? { capture: true } : {}) }))
		.filter((item) => item.label !== '');
}
