// A collection answered in server-sized pages with @odata.nextLink ($skip), for the lists whose
// reference pages document no query options (logged-on users, software, vulnerabilities, an
// entity's machines). `$skip` and `$top` are read as the OData layer reads them everywhere.
import { odata } from '../http-util';
import { applyOData, nextLink } from '../odata';
import { odataError, type RouteCtx } from './route';

export function pagedCollection(rc: RouteCtx, items: Record<string, unknown>[], contextName: string, typeName: string) {
  try {
    const r = applyOData(items, rc.req.query, { typeName, filterable: [], dateProps: [] }, rc.sim.options.pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${rc.base}/$metadata#${contextName}`, value: r.items };
    if (r.nextSkip !== undefined) body['@odata.nextLink'] = nextLink(rc.req.origin, rc.req.path, rc.req.query, r.nextSkip);
    return odata(200, body);
  } catch (e) {
    return odataError(e);
  }
}
