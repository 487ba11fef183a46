import type { Attributes, Meter } from '@opentelemetry/api';
import { ATTR_GEN_AI_TOOL_NAME } from './semconv.js';
import * as ts from './toolscopeNames.js';

/** What the alert instruments need to know of an alert. */
export interface AlertReading {
  rule: string;
  level: string;
  service: string;
  tool: string | undefined;
}

function attributesOf(alert: AlertReading): Attributes {
  const attributes: Attributes = {
    [ts.ATTR_TS_ALERT_RULE]: alert.rule,
    [ts.ATTR_TS_SEVERITY]: alert.level,
    [ts.ATTR_TS_SERVICE]: alert.service,
  };
  if (alert.tool) attributes[ATTR_GEN_AI_TOOL_NAME] = alert.tool;
  return attributes;
}

/**
 * Alerts as metrics: `toolscope.alerts.fired` counts firing notifications;
 * `toolscope.alert.active` is 1 per alert currently firing. Returns the
 * function to call for each alert event.
 */
export function registerAlertInstruments(
  meter: Meter,
  active: () => Iterable<AlertReading>,
): (event: AlertReading & { status: 'firing' | 'resolved' }) => void {
  const fired = meter.createCounter(ts.METRIC_TS_ALERTS_FIRED, {
    unit: '{alert}',
    description: 'Alerts that fired.',
  });
  meter
    .createObservableGauge(ts.METRIC_TS_ALERT_ACTIVE, { description: '1 while an alert is firing.' })
    .addCallback((result) => {
      for (const alert of active()) result.observe(1, attributesOf(alert));
    });
  return (event) => {
    if (event.status === 'firing') fired.add(1, attributesOf(event));
  };
}
