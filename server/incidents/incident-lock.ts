/**
 * One command at a time per incident, for commands that check the records and then append to
 * them (seal once, hand over from the current holder, close after the gates). One server owns a
 * database (see database.ts), so an in-process queue is enough.
 */
export class IncidentLock {
	private readonly tails = new Map<string, Promise<unknown>>();

	run<T>(incidentId: string, task: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(incidentId) ?? Promise.resolve();
		const result = previous.then(task, task);
		const tail = result.catch(() => {});
		this.tails.set(incidentId, tail);
		void tail.then(() => {
			if (this.tails.get(incidentId) === tail) this.tails.delete(incidentId);
		});
		return result;
	}
}
