/**
 * Liveness and readiness. Readiness runs every registered dependency check
 * (database ping, Redis ping…) with a timeout and reports each one's status and
 * latency; it is false while starting and from the first moment of a drain.
 */

export interface HealthCheck {
  name: string;
  check(signal: AbortSignal): Promise<void> | void;
}

export interface CheckReport {
  status: 'ok' | 'fail';
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  phase: 'starting' | 'running' | 'draining';
  checks: Record<string, CheckReport>;
}

export class Health {
  private readonly checks: HealthCheck[] = [];
  phase: ReadinessReport['phase'] = 'starting';

  constructor(private readonly timeoutMs: number) {}

  register(check: HealthCheck): void {
    this.checks.push(check);
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(this.checks.map(async (check) => [check.name, await this.run(check)] as const));
    const checks = Object.fromEntries(entries);
    const allOk = entries.every(([, report]) => report.status === 'ok');
    return { status: allOk && this.phase === 'running' ? 'ready' : 'not_ready', phase: this.phase, checks };
  }

  private async run(check: HealthCheck): Promise<CheckReport> {
    const started = performance.now();
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      await Promise.race([
        check.check(signal),
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`timed out after ${this.timeoutMs} ms`)), { once: true })),
      ]);
      return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      return { status: 'fail', latencyMs: Math.round((performance.now() - started) * 100) / 100, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
