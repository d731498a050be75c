// spec.monitoring: Prometheus scraping of the component pods, on a Cluster (given to its children)
// and on a standalone child.
import { bool, named, obj } from './schema.ts';

export const monitoringSpec = named(
  'MonitoringSpec',
  obj(
    'Prometheus monitoring of the component pods, for images that serve metrics: a component is scraped only where ' +
      'its metricsPort says where (no Engula line the operator knows serves any). On a Cluster it is given to every ' +
      'component; a standalone child sets its own.',
    {
      enabled: bool(
        'Creates one ServiceMonitor (monitoring.coreos.com/v1) per component, named like the child, when the ' +
          'Prometheus Operator serves that kind. While it does not, the condition MonitoringAvailable is False and the ' +
          'ServiceMonitors appear by themselves once the kind is installed. Setting it back to false removes them.',
        { default: false },
      ),
      scrapeAnnotations: bool(
        'Puts prometheus.io/scrape, prometheus.io/port and prometheus.io/path on every pod, for a Prometheus that ' +
          'discovers pods by annotation instead of ServiceMonitors. Changing it restarts the pods (a rolling update); ' +
          'an annotation of the same name in podAnnotations wins.',
        { default: false },
      ),
    },
  ),
);
