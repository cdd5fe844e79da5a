import type { FastifyPluginAsync } from 'fastify';
import type { HotlineMetrics } from '../admin/hotline-metrics.ts';

/** `GET /metrics`: the Prometheus exposition of the service's own registry. */
export const metricsApi: FastifyPluginAsync<{ metrics: HotlineMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
