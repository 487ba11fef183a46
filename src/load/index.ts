/**
 * load/: what load does to a tool. Pure cores that tell a saturated upstream (latency grows with
 * concurrency) from one that got slower or sees more demand; the analyzer classifies verdicts with
 * them and the tuner shrinks a pool only on their evidence of saturation. See README.md.
 */
export {
  type ConcurrencyJudgement,
  ConcurrencyResponse,
  type ConcurrencyVerdict,
  FLAT_SLOPE,
  type GroupSums,
  judgeResponse,
  QUEUEING_SLOPE,
  ResponseGroup,
} from './ConcurrencyResponse.js';
export { LatencyCurve } from './LatencyCurve.js';
export { IMPACT_SHARE, LoadModel, type LoadState, OWN_QUEUE_SHARE } from './LoadModel.js';
export { LowLoadLatency } from './LowLoadLatency.js';
