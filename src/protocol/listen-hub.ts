/**
 * Delivery of server-initiated notifications (list changes, resource updates):
 * to 2026-era `subscriptions/listen` streams that opted in, and to 2025-era
 * sessions on their standalone channel.
 */
import { serializeNotification, type JsonRpcId } from './jsonrpc.js';
import type { SessionManager } from './session-manager.js';
import { MetaKey } from './versions.js';

export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export type ServerEvent =
  | { kind: 'tools' | 'prompts' | 'resources' }
  | { kind: 'resource-updated'; uri: string };

interface Listener {
  id: JsonRpcId;
  filter: SubscriptionFilter;
  send(message: string): void;
}

const METHOD_OF = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
} as const;

const FLAG_OF = { tools: 'toolsListChanged', prompts: 'promptsListChanged', resources: 'resourcesListChanged' } as const;

export class ListenHub {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly sessions: SessionManager) {}

  get size(): number {
    return this.listeners.size;
  }

  add(id: JsonRpcId, filter: SubscriptionFilter, send: (message: string) => void): () => void {
    const listener: Listener = { id, filter, send };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: ServerEvent): void {
    for (const listener of this.listeners) {
      const meta = { [MetaKey.subscriptionId]: listener.id };
      if (event.kind === 'resource-updated') {
        if (listener.filter.resourceSubscriptions?.includes(event.uri)) {
          listener.send(serializeNotification('notifications/resources/updated', { uri: event.uri, _meta: meta }));
        }
      } else if (listener.filter[FLAG_OF[event.kind]] === true) {
        listener.send(serializeNotification(METHOD_OF[event.kind], { _meta: meta }));
      }
    }
    for (const session of this.sessions.values()) {
      if (!session.initialized || !session.channel) continue;
      if (event.kind === 'resource-updated') {
        if (session.subscriptions?.has(event.uri)) {
          session.channel.send(serializeNotification('notifications/resources/updated', { uri: event.uri }));
        }
      } else {
        session.channel.send(serializeNotification(METHOD_OF[event.kind]));
      }
    }
  }
}
