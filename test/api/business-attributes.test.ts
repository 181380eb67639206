import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { businessAttributes } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { createHarness, type Harness } from '../helpers/harness'
import { databaseSnapshot } from '../helpers/hostile'

/**
 * Query Business Attribute Schema (docs/behaviour.md#business-attributes), served from a per-tenant
 * catalog. The values are those of the vendor's example (GET /metadata/business-attributes/MediaType).
 */
let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

const MEDIA_VALUES = [
  { display_name: 'email', description: 'Media EMail', name: 'email', dbid: 1003 },
  { display_name: 'chat', description: 'Media Chat', name: 'chat', dbid: 1006 },
  { display_name: 'voice', description: 'Media Voice', name: 'voice', dbid: 1001 },
  { display_name: 'fax', description: 'Media Fax', name: 'fax', dbid: 1014 },
]
const MEDIA_TYPE = {
  display_name: 'Media Type',
  description: 'Media types',
  cv_attributes: ['Service.media_type', 'task.MEDIA_TYPE', 'State.media_type'],
  values: MEDIA_VALUES,
}
const PRINTED = {
  name: 'MediaType',
  display_name: 'Media Type',
  description: 'Media types',
  cv_attributes: ['Service.media_type', 'Task.media_type', 'State.media_type'],
  values: MEDIA_VALUES,
}

describe('the business attribute catalog', () => {
  it('is created by PUT (201), read as the vendor prints it, and found by the field it describes', async () => {
    const api = forTenant(h.api, 'composer')
    const created = await api.put('/metadata/business-attributes/MediaType', MEDIA_TYPE)
    expect(created.status).toBe(201)
    expect(created.headers.get('Location')).toBe('/metadata/business-attributes/MediaType')
    expect(created.body).toEqual(PRINTED)
    const [row] = await h.db
      .select()
      .from(businessAttributes)
      .where(eq(businessAttributes.tenant, 'composer/'))
    expect(row.values).toEqual(MEDIA_VALUES)
    expect(row.cvAttributes).toEqual(PRINTED.cv_attributes)

    expect((await api.get('/metadata/business-attributes/mediatype')).body).toEqual(PRINTED)
    expect((await api.get('/genesys/1/cs/metadata/business-attributes')).body).toEqual([PRINTED])
    expect((await api.get('/metadata/business-attributes?cv-attribute=Task.media_type')).body).toEqual(
      PRINTED,
    )

    // Service Type, described as the vendor's configuration page spells it (Service.service_type).
    const types = await api.put('/metadata/business-attributes/ServiceType', {
      dbid: 7,
      cv_attributes: ['Service.service_type'],
      values: [
        { name: 'New Account', dbid: '1' },
        { name: 'Bill Payment', dbid: 2, display_name: 'Pay a bill' },
      ],
    })
    expect(types.status).toBe(201)
    const byField = await api.get('/metadata/business-attributes?cv-attribute=Service.type')
    expect(byField.body).toEqual({
      name: 'ServiceType',
      dbid: 7,
      display_name: 'ServiceType',
      description: '',
      cv_attributes: ['Service.type'],
      values: [
        { name: 'New Account', dbid: 1, display_name: 'New Account', description: '' },
        { name: 'Bill Payment', dbid: 2, display_name: 'Pay a bill', description: '' },
      ],
    })
    expect(
      (await api.get('/metadata/business-attributes')).body.map((ba: { name: string }) => ba.name),
    ).toEqual(['MediaType', 'ServiceType'])
  })

  it('is replaced by a second PUT (200); a field already described by another attribute is 409', async () => {
    const api = forTenant(h.api, 'composer')
    const replaced = await api.put('/metadata/business-attributes/MEDIATYPE', {
      ...MEDIA_TYPE,
      name: 'MediaType',
      map_name: true,
      values: MEDIA_VALUES.slice(0, 2),
    })
    expect(replaced.status).toBe(200)
    expect(replaced.body.values).toEqual(MEDIA_VALUES.slice(0, 2))
    expect(replaced.body.map_name).toBe(true)
    expect(await h.db.$count(businessAttributes, eq(businessAttributes.tenant, 'composer/'))).toBe(2)
    expect((await api.get('/metadata/business-attributes/MediaType')).body.values).toHaveLength(2)

    const before = await databaseSnapshot(h.client)
    const taken = await api.put('/metadata/business-attributes/Channel', {
      cv_attributes: ['Task.media_type'],
      values: [],
    })
    expect(taken.status).toBe(409)
    expect(taken.body.code).toBe('cv_attribute_taken')
    expect(await databaseSnapshot(h.client)).toEqual(before)
  })

  it('refuses malformed attributes, values and queries with 400, writing nothing', async () => {
    const api = forTenant(h.api, 'composer')
    const before = await databaseSnapshot(h.client)
    const bodies: [Record<string, unknown>, string][] = [
      [
        {
          values: [
            { name: 'a', dbid: 1 },
            { name: 'b', dbid: 1 },
          ],
        },
        'values[1].dbid',
      ],
      [
        {
          values: [
            { name: 'a', dbid: 1 },
            { name: 'A', dbid: 2 },
          ],
        },
        'values[1].name',
      ],
      [{ values: [{ name: 'a', dbid: -1 }] }, 'values.0.dbid'],
      [{ values: [{ name: '', dbid: 1 }] }, 'values.0.name'],
      [{ cv_attributes: ['Profile.type'], values: [] }, 'cv_attributes[0]'],
      [{ cv_attributes: ['Service.type', 'Service.service_type'], values: [] }, 'cv_attributes[1]'],
      [{ name: 'Other', values: [] }, 'name'],
      [{ values: [], color: 'red' }, 'color'],
      [{}, 'values'],
      [{ values: Array.from({ length: 1001 }, (_, i) => ({ name: `v${i}`, dbid: i })) }, 'values'],
    ]
    for (const [body, path] of bodies) {
      const response = await api.put('/metadata/business-attributes/Disposition', body)
      expect(response.status, path).toBe(400)
      expect(response.body.code).toBe('validation_failed')
      expect(response.body.issues.map((issue: { path: string }) => issue.path)).toContain(path)
    }
    for (const query of ['cv-attribute=Service', 'cv-attribute=Service.color', 'cv-attribute=']) {
      const response = await api.get(`/metadata/business-attributes?${query}`)
      expect(response.status).toBe(400)
      expect(response.body.code).toBe('invalid_parameter')
    }
    const badName = await api.get('/metadata/business-attributes/a%40b')
    expect(badName.status).toBe(400)
    expect(badName.body.code).toBe('invalid_parameter')
    expect(await databaseSnapshot(h.client)).toEqual(before)
  })

  it('belongs to its tenant, works in maintenance mode, and is deleted (204, then 404)', async () => {
    const other = forTenant(h.api, 'elsewhere')
    expect((await other.get('/metadata/business-attributes')).body).toEqual([])
    expect((await other.get('/metadata/business-attributes/MediaType')).status).toBe(404)
    expect((await other.get('/metadata/business-attributes?cv-attribute=Task.media_type')).body.code).toBe(
      'business_attribute_not_found',
    )
    expect((await other.delete('/metadata/business-attributes/MediaType')).status).toBe(404)

    const api = forTenant(h.api, 'composer')
    expect((await api.post('/server/mode', { mode: 'maintenance' })).status).toBe(200)
    expect((await api.delete('/metadata/business-attributes/mediatype')).status).toBe(204)
    expect((await api.post('/server/mode', { mode: 'production' })).status).toBe(200)
    expect((await api.get('/metadata/business-attributes/MediaType')).status).toBe(404)
    expect((await api.delete('/metadata/business-attributes/MediaType')).status).toBe(404)
    // Its fields are free again.
    const reused = await api.put('/metadata/business-attributes/Channel', {
      cv_attributes: ['Task.media_type'],
      values: [],
    })
    expect(reused.status).toBe(201)
  })
})
