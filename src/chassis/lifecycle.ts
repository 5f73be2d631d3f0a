/**
 * Lifespan of the server's components: each registers a start and a stop hook;
 * they start in registration order and stop in reverse. A start that fails
 * stops what already started, then rethrows with the component's name.
 */

export interface Component {
  name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export class StartupError extends Error {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super(`${component} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StartupError';
  }
}

export class Lifecycle {
  private readonly components: Component[] = [];
  private readonly started: Component[] = [];
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';

  get phase(): string {
    return this.state;
  }

  register(component: Component): this {
    if (this.state !== 'idle') throw new Error(`Cannot register ${component.name} after start`);
    this.components.push(component);
    return this;
  }

  async start(): Promise<void> {
    this.state = 'starting';
    for (const component of this.components) {
      try {
        await component.start?.();
        this.started.push(component);
      } catch (error) {
        await this.stop();
        throw new StartupError(component.name, error);
      }
    }
    this.state = 'running';
  }

  /** Stops started components in reverse order; a failing stop does not prevent the others. */
  async stop(onError: (component: string, error: unknown) => void = () => {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    for (const component of this.started.splice(0).reverse()) {
      try {
        await component.stop?.();
      } catch (error) {
        onError(component.name, error);
      }
    }
    this.state = 'stopped';
  }
}
