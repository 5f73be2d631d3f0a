/**
 * The result cache packs share (`PackHost.cache(namespace)`): memory or Redis
 * per the `cache` configuration section.
 */
export { CacheHub, createCacheStore, type CacheCounters, type CacheHubHooks, type CacheSettings } from './hub.js';
export { canonicalJson, identityMaterial, storeKey } from './key.js';
export { MemoryCacheStore } from './memory-store.js';
export { namespacedCache, type NamespaceOptions } from './namespaced.js';
export { RedisCacheStore } from './redis-store.js';
export type { CacheEvents, CacheKey, CacheStore, ResultCache } from './result-cache.js';
