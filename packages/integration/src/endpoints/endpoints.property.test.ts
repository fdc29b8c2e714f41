/**
 * The Endpoints and EndpointSlice controllers under random pods, labels and Services (upstream's
 * level-triggered `syncService`). The properties, for every run, once the faults stop and the
 * cluster settles (and over a stable window after it):
 *
 * - every selector Service's Endpoints lists exactly the IPs of its ready, non-terminating
 *   selected pods with an IP (not-ready ones as not ready, or ready with
 *   `publishNotReadyAddresses`), and its EndpointSlices together list the same endpoints
 *   (`endpointsMatchPodsInvariant` of the toolkit);
 * - the Endpoints of a deleted Service are gone (by name, as upstream).
 *
 * They hold without faults, when the controller manager crashes (before or after a write
 * reaches the store) and restarts while writes fail (503, 409, 500, 429), when every watch of
 * the controller manager is cut with 410 Gone, and when its caches lag the store. The faults
 * are the toolkit's (`@kubeloop/testing`): fault schedules drawn by fast-check and played by
 * `checkCluster`, which shrinks a failure to its few actions and faults and prints a replay
 * command.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { checkCluster, endpointWritesFollowPodsInvariant, faultArbitrary, faultSchedules, faultSchedulesWith, lastChangeTriggerTimeInvariant, terminatingEndpointsWithinInvariant } from '@kubeloop/testing';
import type { Fault } from '@kubeloop/testing';
import { options } from './fixtures.js';

describe('Endpoints and EndpointSlices under random pods, labels and Services', () => {
  it('after settling, every selector Service’s Endpoints lists exactly the IPs of its ready, non-terminating selected pods with an IP, and its slices together list the same endpoints', async () => {
    // Without faults the caches keep up and one controller process sees every change: each write
    // shows its pods as they just were (terminating ones included), and carries a trigger time
    // that names a change it had not published yet.
    await checkCluster({ ...options('endpoints: no faults', fc.constant([])), safety: [endpointWritesFollowPodsInvariant, lastChangeTriggerTimeInvariant, terminatingEndpointsWithinInvariant()] });
  }, 120_000);

  it('the same holds when the controller manager crashes (before or after a write reaches the store) and restarts, and writes fail with 503, 409, 500 or 429', async () => {
    // One crash within the first 15 writes (every run makes that many), more crashes and failing writes drawn.
    const faults = faultSchedulesWith([faultArbitrary({ kinds: ['crash'], maxWrite: 15 })], faultSchedules({ kinds: ['crash', 'writeError', 'writeError'], maxFaults: 5, maxWrite: 40 }));
    // A restarted controller lists afresh, and a failed write is no write: each write still shows
    // its pods as they just were (its trigger times start over, as upstream's: not judged).
    await checkCluster({ ...options('endpoints: crashes and failing writes', faults), safety: [endpointWritesFollowPodsInvariant] });
  }, 120_000);

  it('the same holds when every watch of the controller manager is cut with 410 Gone every few seconds while the faults last', async () => {
    const expire = faultArbitrary({ kinds: ['expireWatches'], expireWatchesAfterMs: { min: 2_000, max: 15_000 } });
    // Repeated cuts back an informer off up to 30 s before it relists: settle over a longer window.
    await checkCluster({ ...options('endpoints: cut watches', faultSchedulesWith([expire], fc.constant([]))), settleQuietMs: 75_000 });
  }, 120_000);

  it('the same holds when the caches lag the store by up to 4 events (the EndpointSlice controller must not act on a slice cache older than its own writes)', async () => {
    // Added when the mutation run showed that the EndpointSlice controller's tracker of its own
    // writes (upstream's EndpointSliceTracker: wait until the cache has caught up) could be
    // removed without any run noticing: no run had a lagging cache.
    const stale = fc.constant<Fault>({ kind: 'staleReads', resource: '*', lag: 4, holdMs: 1_500 });
    await checkCluster(options('endpoints: stale caches', faultSchedulesWith([stale], fc.constant([]))));
  }, 120_000);
});
