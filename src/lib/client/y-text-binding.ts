/**
 * Two-way binding between a Y.Text and a <textarea> or <input>, used for entry text and the
 * incident notes. Written as a Svelte attachment: `<textarea {@attach bindYText(ytext)}>`.
 *
 * Local typing becomes the smallest edit (common prefix and suffix kept) applied as one
 * delete + insert transaction, so concurrent typists in other parts of the text are untouched.
 * Remote changes replace the element's value at once; the caret and selection are carried across
 * as Y.RelativePositions captured just before the remote transaction touches the document.
 * Keeping the element and the Y.Text equal at every moment is what makes the diff safe: a remote
 * change held back (say, during IME composition) would be undone by the next local diff.
 */
import * as Y from 'yjs';

type TextField = HTMLTextAreaElement | HTMLInputElement;

/** The smallest replacement turning `before` into `after`: delete `remove` chars at `index`, insert `insert`. */
export function textDiff(before: string, after: string): { index: number; remove: number; insert: string } {
	const max = Math.min(before.length, after.length);
	let prefix = 0;
	while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
	// Do not split a surrogate pair.
	if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
	let suffix = 0;
	while (
		suffix < max - prefix &&
		before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
	) {
		suffix++;
	}
	if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
	return { index: prefix, remove: before.length - prefix - suffix, insert: after.slice(prefix, after.length - suffix) };
}

function isHighSurrogate(code: number): boolean {
	return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
	return code >= 0xdc00 && code <= 0xdfff;
}

export function bindYText(ytext: Y.Text) {
	return (el: TextField) => {
		const doc = ytext.doc;
		if (!doc) throw new Error('bindYText needs a Y.Text that is part of a document');
		const origin = {};
		let saved: { start: Y.RelativePosition; end: Y.RelativePosition; direction: TextField['selectionDirection'] } | null =
			null;

		el.value = ytext.toString();

		const applyLocal = () => {
			const diff = textDiff(ytext.toString(), el.value);
			if (diff.remove === 0 && diff.insert === '') return;
			doc.transact(() => {
				if (diff.remove > 0) ytext.delete(diff.index, diff.remove);
				if (diff.insert !== '') ytext.insert(diff.index, diff.insert);
			}, origin);
		};

		const showRemote = () => {
			const value = ytext.toString();
			if (value === el.value) return;
			const focused = document.activeElement === el;
			el.value = value;
			if (focused && saved) {
				const start = Y.createAbsolutePositionFromRelativePosition(saved.start, doc);
				const end = Y.createAbsolutePositionFromRelativePosition(saved.end, doc);
				if (start && end) el.setSelectionRange(start.index, end.index, saved.direction ?? 'none');
			}
		};

		// Runs before a transaction changes anything: remember where the caret is in Yjs terms.
		const beforeTransaction = (tr: Y.Transaction) => {
			if (tr.origin === origin || document.activeElement !== el) return;
			const start = el.selectionStart ?? 0;
			const end = el.selectionEnd ?? start;
			saved = {
				start: Y.createRelativePositionFromTypeIndex(ytext, start),
				end: Y.createRelativePositionFromTypeIndex(ytext, end, end === start ? 0 : -1),
				direction: el.selectionDirection
			};
		};

		const observer = (_event: Y.YTextEvent, tr: Y.Transaction) => {
			if (tr.origin === origin) return;
			showRemote();
			saved = null;
		};

		doc.on('beforeTransaction', beforeTransaction);
		ytext.observe(observer);
		el.addEventListener('input', applyLocal);
		return () => {
			doc.off('beforeTransaction', beforeTransaction);
			ytext.unobserve(observer);
			el.removeEventListener('input', applyLocal);
		};
	};
}
