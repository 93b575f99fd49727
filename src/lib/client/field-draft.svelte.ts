/**
 * The incident title while someone edits it, for RoomHeader. The title becomes one document
 * change when saved (Enter, or leaving the field), not one per keystroke, so until then the
 * person holds a draft that nobody else sees.
 *
 * The draft remembers the title it started from. If the room's title moves away from that while
 * the draft is unsaved, someone else renamed the incident: `conflict` turns true and the header
 * shows their title next to the field. Neither side wins silently: leaving the field does not
 * save over theirs; the person chooses (save keeps theirs out, undo takes theirs).
 */
export class TitleDraft {
	/** The unsaved text, or null when the field shows the room's title as it is. */
	text = $state<string | null>(null);
	/** The room's title when the draft began. */
	base = $state('');

	constructor(
		/** The room's title now. */
		private readonly current: () => string,
		private readonly commit: (title: string) => void
	) {}

	/** What the field shows. */
	get value(): string {
		return this.text ?? this.current();
	}

	get dirty(): boolean {
		return this.text !== null;
	}

	/** Someone else changed the title since this draft began. */
	get conflict(): boolean {
		return this.text !== null && this.current() !== this.base;
	}

	input(value: string): void {
		if (this.text === null) this.base = this.current();
		// Typing back to where it began is no change: the field follows the room again.
		this.text = value === this.base ? null : value;
	}

	/** Saves the draft as the title (an empty draft is dropped: a title cannot be empty). */
	save(): void {
		if (this.text === null) return;
		const title = this.text.trim();
		this.text = null;
		if (title !== '' && title !== this.current()) this.commit(title);
	}

	undo(): void {
		this.text = null;
	}

	/** Leaving the field saves, unless that would overwrite a title someone else just set. */
	leave(): void {
		if (!this.conflict) this.save();
	}
}
