// Reference counting for a resource several nodes share (like Node-RED's MQTT broker config node): users
// register by node id; the last one to deregister stops it. One primitive for models, connections and pools.

export class SharedResource {
  private readonly users = new Set<string>();

  /** `onFirstUser` runs when the first user registers, `onLastUser` when the last one leaves. */
  constructor(private readonly hooks: { onFirstUser?: () => void; onLastUser: () => void | Promise<void> }) {}

  get userCount(): number {
    return this.users.size;
  }

  register(userId: string): void {
    const first = this.users.size === 0;
    this.users.add(userId);
    if (first) this.hooks.onFirstUser?.();
  }

  /** Resolves once the resource has stopped when this was the last user; a user that never registered is ignored. */
  async deregister(userId: string): Promise<void> {
    if (this.users.delete(userId) && this.users.size === 0) await this.hooks.onLastUser();
  }

  /** Forgets all users without stopping (the owner is closing the resource itself). */
  clear(): void {
    this.users.clear();
  }
}
