// Graph alerts_v2 / incidents as a page source for the AlertPoller: the node's filters plus the
// poller's `<field> ge <since>`, through the client's list calls (token, governor, retries,
// nextLink paging). Validates the filters up front so bad values are refused at deploy.
import type { PageSource, PolledItem, PollQuery } from './poller';
import { MdeError } from '../errors';
import { checkGraphAlertQuery, GRAPH_MAX_PAGE, iterateGraphAlertPages, type GraphAlertQuery } from '../graph/alerts';
import type { MdeHttp } from '../transport/http';
import { buildIncidentFilter, iterateIncidentPages, type IncidentQuery } from '../graph/incidents';
import type { ApiRequest } from '../types';

export type PollSourceName = 'alerts' | 'incidents';

export interface PollFilters {
  severity?: string[];
  status?: string[];
  /** Alerts only (incidents are refused with this filter, as the client does). */
  serviceSource?: string[];
  classification?: string[];
  determination?: string[];
  assignedTo?: string;
}

/** The poller reads everything after its lower bound; the client's own cap must never cut a read short. */
const NO_CAP = { alerts: 10_000_000, incidents: 1_000_000 } as const;

function baseQuery(filters: PollFilters, source: PollSourceName): GraphAlertQuery & IncidentQuery {
  const q: GraphAlertQuery & IncidentQuery = {};
  if (filters.severity?.length) q.severity = filters.severity;
  if (filters.status?.length) q.status = filters.status;
  if (filters.classification?.length) q.classification = filters.classification;
  if (filters.determination?.length) q.determination = filters.determination;
  if (filters.assignedTo) q.assignedTo = filters.assignedTo;
  if (filters.serviceSource?.length) {
    if (source === 'alerts') q.serviceSource = filters.serviceSource;
    else (q as Record<string, unknown>).serviceSource = filters.serviceSource; // refused by the incident query check
  }
  q.pageSize = GRAPH_MAX_PAGE;
  q.maxResults = NO_CAP[source];
  return q;
}

export interface GraphPollSourceOptions {
  onWait?: ApiRequest['onWait'];
}

/** Throws MdeInputError for a filter the list would refuse, before any request. */
export function graphPollSource(http: MdeHttp, source: PollSourceName, filters: PollFilters, opts: GraphPollSourceOptions = {}): PageSource<PolledItem> {
  const base = baseQuery(filters, source);
  if (source === 'incidents') buildIncidentFilter(base);
  else checkGraphAlertQuery(base);

  return async function* pages(query: PollQuery) {
    const q = { ...base, [query.field]: { from: query.since } };
    const it = (source === 'incidents' ? iterateIncidentPages(http, q, { signal: query.signal, onWait: opts.onWait }) : iterateGraphAlertPages(http, q, { signal: query.signal, onWait: opts.onWait })) as AsyncGenerator<
      PolledItem[],
      { truncated: boolean },
      void
    >;
    for (;;) {
      const next = await it.next();
      if (next.done) {
        if (next.value.truncated) throw new MdeError(`More than ${NO_CAP[source]} ${source} matched one poll; narrow the trigger's filters.`, { code: 'TooManyResults' });
        return;
      }
      yield { items: next.value };
    }
  };
}
