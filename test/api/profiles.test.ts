import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extensionRecords, keyEntries, profiles, services } from '../../src/db/tables'
import { forTenant } from '../helpers/api'
import { PHONE, PROFILE_SCHEMA_WITH_DOB } from '../helpers/fixtures'
import { createHarness, type Harness } from '../helpers/harness'

let h: Harness
beforeAll(async () => {
  h = await createHarness()
})
afterAll(() => h.close())

/** A tenant of its own with the fixtures of docs/behaviour.md#fixtures: DOB, and the Phone extension. */
async function tenantWithFixtures(name: string) {
  const api = forTenant(h.api, name)
  expect((await api.put('/metadata/profiles', PROFILE_SCHEMA_WITH_DOB)).status).toBe(200)
  expect((await api.post('/metadata/profiles/extensions', PHONE)).status).toBe(201)
  return api
}

const BRUCE_PHONES = [
  {
    PhoneType: 0,
    prefix: '+33',
    PhoneNumber: '3145926535',
    description: 'family phone',
    start_availability: '2009-12-18T18:30:00.000Z',
    end_availability: '2009-12-18T21:40:00.000Z',
  },
  {
    PhoneType: 2,
    prefix: '+33',
    PhoneNumber: '6543210',
    description: 'business calls only, no sales',
    start_availability: '2009-12-18T09:30:00.000Z',
    end_availability: '2009-12-18T17:45:00.000Z',
  },
  { PhoneType: 5, prefix: '+33', PhoneNumber: '951357456', description: '' },
]

async function profileRow(tenant: string, customerId: string) {
  const [row] = await h.db
    .select()
    .from(profiles)
    .where(and(eq(profiles.tenant, `${tenant}/`), eq(profiles.customerId, customerId)))
  return row
}

describe('vendor examples E10–E23 (corrected), with the status codes of docs/behaviour.md#success-statuses', () => {
  it('E18–E20: profile extension schemas — create, list, delete', async () => {
    const api = await tenantWithFixtures('e18')
    const address = {
      name: 'Address',
      type: 'single-valued',
      attributes: [
        { name: 'AddressType', type: 'integer', default: 0 },
        { name: 'Address', type: 'string', length: 256 },
        { name: 'City', type: 'string', length: 32 },
        { name: 'County', type: 'string', length: 32 },
        { name: 'PostCode', type: 'string', length: 10 },
        { name: 'Country', type: 'string', length: 32 },
      ],
    }
    const created = await api.post('/metadata/profiles/extensions', address)
    expect(created.status).toBe(201)
    expect(created.headers.get('Location')).toBe('/metadata/profiles/extensions/Address')
    const list = await api.get('/metadata/profiles/extensions')
    expect(list.body.map((s: any) => [s.name, s.type])).toEqual([
      ['Phone', 'multi-valued'],
      ['Address', 'single-valued'],
    ])
    expect(list.body[0].attributes[0]).toEqual({
      name: 'PhoneType',
      type: 'integer',
      length: 0,
      mandatory: true,
      unique: true,
      encrypt: false,
      default: 0,
    })
    expect(list.body[0].required).toBe(false)
    expect((await api.delete('/metadata/profiles/extensions/address')).status).toBe(204)
    expect((await api.delete('/metadata/profiles/extensions/CustomName')).status).toBe(404)
    // A profile extension may not shadow a core attribute.
    const clash = await api.post('/metadata/profiles/extensions', { ...address, name: 'dob' })
    expect(clash.body.code).toBe('reserved_name')
  })

  it('E10, E11, E12, E13, E14, E16: create, insert records, update and delete by unique, update, delete', async () => {
    const api = await tenantWithFixtures('e10')
    const e10 = await api.post('/profiles/', {
      FirstName: 'Bruce',
      LastName: 'Banner',
      DOB: '1962-05-10',
      EmailAddress: ['bruce.banner@marvelous.com', 'b.banner@hulk.dom'],
      Phone: BRUCE_PHONES.slice(0, 1),
    })
    expect(e10.status).toBe(201)
    const id = e10.body.customer_id
    expect(id).toMatch(/^[0-9A-Za-z]{16}$/)
    expect(e10.headers.get('Location')).toBe(`/profiles/${id}`)
    expect(e10.body).toEqual({ customer_id: id })
    expect((await profileRow('e10', id)).attributes).toEqual({
      firstname: ['Bruce'],
      lastname: ['Banner'],
      dob: ['1962-05-10'],
      emailaddress: ['bruce.banner@marvelous.com', 'b.banner@hulk.dom'],
    })

    const e11 = await api.post(`/profiles/${id}/extensions`, {
      customer_id: id,
      Phone: BRUCE_PHONES.slice(1),
    })
    expect(e11.status).toBe(200)
    expect(e11.body).toEqual({ Phone: BRUCE_PHONES.map((p) => ({ ...p })) })

    const read = await api.get(`/profiles/${id}?extensions=Phone`)
    expect(read.body).toEqual({
      customer_id: id,
      FirstName: 'Bruce',
      LastName: 'Banner',
      PhoneNumber: null,
      EmailAddress: ['bruce.banner@marvelous.com', 'b.banner@hulk.dom'],
      Title: null,
      DOB: '1962-05-10',
      Phone: BRUCE_PHONES,
    })

    const e12 = await api.put(`/profiles/${id}/extensions/Phone/by/unique`, {
      PhoneType: 0,
      prefix: '+44',
      PhoneNumber: '3145926535',
      description: 'new family phone',
    })
    expect(e12.status).toBe(204)
    const e13 = await api.put(`/profiles/${id}/extensions/Phone/delete/by/unique`, {
      PhoneType: 2,
      prefix: '+33',
      PhoneNumber: '6543210',
      description: 'ignored',
      start_availability: 'not even a date',
    })
    expect(e13.status).toBe(204)
    const phones = (await api.get(`/profiles/${id}?extensions=Phone`)).body.Phone
    expect(phones).toEqual([
      { PhoneType: 0, prefix: '+44', PhoneNumber: '3145926535', description: 'new family phone' },
      BRUCE_PHONES[2],
    ])

    const e16 = await api.put(`/profiles/${id}`, {
      customer_id: id,
      FirstName: 'Robert Bruce',
      LastName: 'Banner',
    })
    expect(e16.status).toBe(200)
    expect(e16.body).toEqual({
      customer_id: id,
      FirstName: 'Robert Bruce',
      LastName: 'Banner',
      PhoneNumber: null,
      EmailAddress: null,
      Title: null,
      DOB: null,
    })
    expect((await api.get(`/profiles/${id}?extensions=Phone`)).body.Phone).toHaveLength(2)

    const e14 = await api.delete(`/profiles/${id}`)
    expect(e14.status).toBe(204)
    expect(await profileRow('e10', id)).toBeUndefined()
    expect((await api.delete(`/profiles/${id}`)).status).toBe(404)
  })

  it('E15: identify by an extension attribute, with profile and extensions (include_extensions=unique)', async () => {
    const api = await tenantWithFixtures('e15')
    await api.post('/metadata/identification-keys', {
      name: 'idPhone',
      source: 'Phone',
      attributes: ['PhoneNumber'],
    })
    const { body } = await api.post('/profiles', {
      customer_id: 'JANE',
      FirstName: 'Jane',
      LastName: 'Doe',
      Phone: [{ PhoneNumber: '408-888-3214' }],
    })
    expect(body.customer_id).toBe('JANE')
    await api.post('/profiles', {
      customer_id: 'JOHN',
      FirstName: 'John',
      LastName: 'Doe',
      Phone: [{ PhoneNumber: '408-888-3214', PhoneType: 1 }],
    })
    const shared = await api.get(
      '/profiles?Phone.PhoneNumber=408-888-3214&extensions=Phone&include_profile=yes&include_extensions=unique',
    )
    expect(shared.status).toBe(200)
    // Two matches: include_extensions=unique leaves the extensions out.
    expect(shared.body.map((p: any) => [p.customer_id, p.FirstName, 'Phone' in p])).toEqual([
      ['JANE', 'Jane', false],
      ['JOHN', 'John', false],
    ])
    const one = await api.get(
      '/profiles?Phone.PhoneNumber=408-888-3214&FirstName=Jane&extensions=Phone&include_profile=yes&include_extensions=unique',
    )
    expect(one.body).toEqual([
      {
        customer_id: 'JANE',
        FirstName: 'Jane',
        LastName: 'Doe',
        PhoneNumber: null,
        EmailAddress: null,
        Title: null,
        DOB: null,
        Phone: [{ PhoneType: 0, prefix: '555', PhoneNumber: '408-888-3214' }],
      },
    ])
  })

  it('E21–E23: identification keys — create (core, extension, unique), list, delete', async () => {
    const api = await tenantWithFixtures('e21')
    const core = await api.post('/metadata/identification-keys', {
      name: 'idPhone',
      attributes: ['PhoneNumber'],
    })
    expect(core.status).toBe(201)
    expect(core.headers.get('Location')).toBe('/metadata/identification-keys/idPhone')
    const sic = await api.post('/metadata/identification-keys', {
      name: 'idPhoneExt',
      source: 'Phone',
      attributes: ['PhoneNumber '],
    })
    expect(sic.status).toBe(400)
    expect(
      (
        await api.post('/metadata/identification-keys', {
          name: 'idPhoneExt',
          source: 'phone',
          attributes: ['Phone.phonenumber'],
        })
      ).status,
    ).toBe(201)
    expect(
      (
        await api.post('/metadata/identification-keys', {
          name: 'idFirstNameLastName',
          unique: true,
          attributes: ['FirstName', 'LastName'],
        })
      ).status,
    ).toBe(201)
    expect((await api.get('/metadata/identification-keys')).body).toEqual([
      { name: 'idPhone', source: 'profile', attributes: ['PhoneNumber'], unique: false },
      { name: 'idPhoneExt', source: 'Phone', attributes: ['Phone.PhoneNumber'], unique: false },
      { name: 'idFirstNameLastName', source: 'profile', attributes: ['FirstName', 'LastName'], unique: true },
    ])
    expect((await api.get('/metadata/identification-keys/IDPHONE')).body.name).toBe('idPhone')
    expect(
      (await api.post('/metadata/identification-keys', { name: 'idphone', attributes: ['Title'] })).status,
    ).toBe(409)
    expect((await api.delete('/metadata/identification-keys/idPhone')).status).toBe(204)
    expect((await api.delete('/metadata/identification-keys/idNickName')).status).toBe(404)
    expect((await api.get('/metadata/identification-keys/idPhone')).status).toBe(404)
    // The Phone schema is still used by idPhoneExt.
    const inUse = await api.delete('/metadata/profiles/extensions/Phone')
    expect(inUse.status).toBe(409)
    expect(inUse.body.code).toBe('schema_in_use')
    expect((await api.get('/metadata/profiles/extensions/Phone')).status).toBe(200)
  })
})

describe('identification keys stay exact on every profile write path (docs/behaviour.md#identify)', () => {
  it('create, PUT, insert records, update/delete by unique, delete profile, new key, removed schema or attribute', async () => {
    const api = await tenantWithFixtures('exact')
    await api.post('/metadata/identification-keys', {
      name: 'byPhone',
      source: 'Phone',
      attributes: ['PhoneNumber'],
    })
    await api.post('/metadata/identification-keys', { name: 'byName', attributes: ['LastName', 'FirstName'] })
    await api.post('/metadata/identification-keys', { name: 'byEmail', attributes: ['EmailAddress'] })
    const who = async (query: string) => {
      const response = await api.get(`/profiles?${query}`)
      expect(response.status).toBe(200)
      return response.body.map((p: any) => p.customer_id)
    }

    // create
    await api.post('/profiles', {
      customer_id: 'A',
      FirstName: 'Ann',
      LastName: 'Lee',
      EmailAddress: ['a1@x', 'a2@x'],
      Phone: [{ PhoneNumber: '111' }],
    })
    await api.post('/profiles', {
      customer_id: 'B',
      FirstName: 'Bob',
      LastName: 'Lee',
      Phone: [{ PhoneNumber: '222' }],
    })
    expect(await who('Phone.PhoneNumber=111')).toEqual(['A'])
    expect(await who('EmailAddress=a2@x')).toEqual(['A'])
    expect(await who('LastName=Lee')).toEqual(['A', 'B'])
    expect(await who('lastname=Lee&FIRSTNAME=Bob')).toEqual(['B'])

    // PUT replaces the core attributes (and the Phone extension, since it is present)
    await api.put('/profiles/A', {
      FirstName: 'Ann',
      LastName: 'Kim',
      EmailAddress: 'a3@x',
      Phone: [{ PhoneNumber: '333' }],
    })
    expect(await who('LastName=Lee')).toEqual(['B'])
    expect(await who('LastName=Kim&FirstName=Ann')).toEqual(['A'])
    expect(await who('EmailAddress=a1@x')).toEqual([])
    expect(await who('EmailAddress=a3@x')).toEqual(['A'])
    expect(await who('Phone.PhoneNumber=111')).toEqual([])
    expect(await who('Phone.PhoneNumber=333')).toEqual(['A'])

    // insert records merges
    await api.post('/profiles/B/extensions', { Phone: [{ PhoneNumber: '444', PhoneType: 1 }] })
    expect(await who('Phone.PhoneNumber=444')).toEqual(['B'])
    expect(await who('Phone.PhoneNumber=222')).toEqual(['B'])

    // update by unique changes other attributes only; delete by unique removes the entry
    await api.put('/profiles/B/extensions/Phone/by/unique', {
      PhoneNumber: '444',
      PhoneType: 1,
      description: 'desk',
    })
    expect(await who('Phone.PhoneNumber=444')).toEqual(['B'])
    await api.put('/profiles/B/extensions/Phone/delete/by/unique', { PhoneNumber: '222', PhoneType: 0 })
    expect(await who('Phone.PhoneNumber=222')).toEqual([])

    // a new key indexes the existing profiles
    await api.post('/metadata/identification-keys', { name: 'byFirst', attributes: ['FirstName'] })
    expect(await who('id_key=byFirst&FirstName=Bob')).toEqual(['B'])

    // removing an unused attribute keeps every entry; removing a used one is refused
    const withoutTitle = PROFILE_SCHEMA_WITH_DOB.attributes.filter((a) => a.name !== 'Title')
    expect((await api.put('/metadata/profiles', { attributes: withoutTitle })).status).toBe(200)
    expect(await who('LastName=Kim&FirstName=Ann')).toEqual(['A'])
    const refused = await api.put('/metadata/profiles', {
      attributes: withoutTitle.filter((a) => a.name !== 'EmailAddress'),
    })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('attribute_in_use')
    expect(await who('EmailAddress=a3@x')).toEqual(['A'])

    // removing a schema that no key uses
    await api.post('/metadata/profiles/extensions', {
      name: 'Pet',
      type: 'single-valued',
      attributes: [{ name: 'kind', type: 'string' }],
    })
    await api.post('/profiles/A/extensions', { Pet: { kind: 'cat' } })
    expect((await api.delete('/metadata/profiles/extensions/Pet')).status).toBe(204)
    expect(await who('Phone.PhoneNumber=333')).toEqual(['A'])

    // delete profile
    await api.delete('/profiles/A')
    expect(await who('Phone.PhoneNumber=333')).toEqual([])
    expect(await who('LastName=Kim')).toEqual([])
    expect(await who('LastName=Lee')).toEqual(['B'])
    const [{ n }] = (
      await h.client.execute(
        "SELECT count(*) AS n FROM key_entries WHERE tenant = 'exact/' AND profile_id NOT IN (SELECT id FROM profiles)",
      )
    ).rows as any
    expect(n).toBe(0)
  })

  it('uses the index: EXPLAIN QUERY PLAN shows the key_entries index, and identify is two round trips', async () => {
    const api = await tenantWithFixtures('plan')
    await api.post('/metadata/identification-keys', {
      name: 'byPhone',
      source: 'Phone',
      attributes: ['PhoneNumber'],
    })
    for (let i = 0; i < 20; i++)
      await api.post('/profiles', { customer_id: `P${i}`, Phone: [{ PhoneNumber: `55${i}` }] })
    const trips = await h.roundTripsOf(() =>
      api.get('/profiles?Phone.PhoneNumber=557&include_profile=yes&extensions=Phone'),
    )
    expect(trips).toBeGreaterThanOrEqual(1)
    expect(trips).toBeLessThanOrEqual(2)
    const { identifiedWhere } = await import('../../src/profiles/identify')
    const [key] = (await h.client.execute("SELECT * FROM identification_keys WHERE tenant = 'plan/'"))
      .rows as any
    const where = identifiedWhere(
      h.db,
      'plan/',
      {
        key: { ...key, attributes: JSON.parse(key.attributes), keyId: key.id } as any,
        prefix: [{ source: 'phone', attribute: 'PhoneNumber', value: '557' }],
      },
      [{ source: 'phone', attribute: 'PhoneNumber', value: '557' }],
    )
    const query = h.db.select().from(profiles).where(where).toSQL()
    const details = await h.explain(query)
    expect(details).toMatch(/key_entries USING INDEX key_entries_(lookup|unique)/)
    expect(details).not.toMatch(/SCAN key_entries/)
    expect(details).not.toMatch(/SCAN profiles/)
  })
})

describe('a caller journey', () => {
  it('keys → profile with phones → identify by phone → service for the customer → delete the profile', async () => {
    const api = await tenantWithFixtures('journey')
    await api.post('/metadata/identification-keys', {
      name: 'byPhone',
      source: 'Phone',
      attributes: ['PhoneNumber'],
      unique: true,
    })
    await api.post('/metadata/services/extensions', {
      name: 'Note',
      type: 'single-valued',
      attributes: [{ name: 'text', type: 'string' }],
    })
    await api.post('/profiles', { customer_id: 'CALLER', FirstName: 'Carla', Phone: BRUCE_PHONES })
    await api.post('/profiles', { customer_id: 'OTHER', FirstName: 'Otto', Phone: [{ PhoneNumber: '0000' }] })
    const other = await api.post('/services/start', { service_type: 1, customer_id: 'OTHER' })

    const found = await api.get('/profiles?Phone.PhoneNumber=6543210&extensions=Phone')
    expect(found.body).toEqual([{ customer_id: 'CALLER', Phone: BRUCE_PHONES }])
    const notAlways = await api.get(
      '/profiles?Phone.PhoneNumber=6543210&extensions=Phone&include_extensions=unique',
    )
    expect(notAlways.body[0].Phone).toHaveLength(3)

    const service = await api.post('/services/start', {
      service_type: 1,
      customer_id: 'CALLER',
      Note: { text: 'hi' },
    })
    const sid = service.body.service_id
    await api.post(`/services/${sid}/end`, {})
    expect((await api.get('/customers/CALLER/services')).body).toHaveLength(1)

    expect((await api.delete('/profiles/CALLER')).status).toBe(204)
    expect(await profileRow('journey', 'CALLER')).toBeUndefined()
    expect(await h.db.$count(services, eq(services.id, sid))).toBe(0)
    expect(
      await h.db.$count(
        extensionRecords,
        and(
          eq(extensionRecords.tenant, 'journey/'),
          eq(extensionRecords.ownerId, sid),
          eq(extensionRecords.ownerKind, 'service'),
        ),
      ),
    ).toBe(0)
    expect((await api.get('/profiles?Phone.PhoneNumber=6543210')).body).toEqual([])
    // Nothing of the other customer is touched.
    const otto = await profileRow('journey', 'OTTO'.replace('TTO', 'THER'))
    expect(otto).toBeDefined()
    expect(
      await h.db.$count(
        extensionRecords,
        and(eq(extensionRecords.ownerKind, 'profile'), eq(extensionRecords.ownerId, otto.id)),
      ),
    ).toBe(1)
    expect(await h.db.$count(keyEntries, eq(keyEntries.profileId, otto.id))).toBe(1)
    expect((await api.get(`/services/${other.body.service_id}`)).status).toBe(200)
  })
})

describe('unique keys', () => {
  it('two customers with the same unique key values → 409 and nothing written; non-unique keys share values', async () => {
    const api = await tenantWithFixtures('uniq')
    await api.post('/metadata/identification-keys', {
      name: 'byName',
      unique: true,
      attributes: ['FirstName', 'LastName'],
    })
    await api.post('/metadata/identification-keys', { name: 'byMail', attributes: ['EmailAddress'] })
    expect(
      (
        await api.post('/profiles', {
          customer_id: 'U1',
          FirstName: 'Al',
          LastName: 'Bo',
          EmailAddress: 'same@x',
        })
      ).status,
    ).toBe(201)
    const clash = await api.post('/profiles', {
      customer_id: 'U2',
      FirstName: 'Al',
      LastName: 'Bo',
      EmailAddress: 'same@x',
      Phone: [{ PhoneNumber: '1' }],
    })
    expect(clash.status).toBe(409)
    expect(clash.body.code).toBe('unique_key_violation')
    expect(await profileRow('uniq', 'U2')).toBeUndefined()
    expect(await h.db.$count(extensionRecords, eq(extensionRecords.tenant, 'uniq/'))).toBe(0)
    expect(
      (
        await api.post('/profiles', {
          customer_id: 'U3',
          FirstName: 'Al',
          LastName: 'Cy',
          EmailAddress: 'same@x',
        })
      ).status,
    ).toBe(201)
    expect((await api.get('/profiles?EmailAddress=same@x')).body.map((p: any) => p.customer_id)).toEqual([
      'U1',
      'U3',
    ])
    const update = await api.put('/profiles/U3', { FirstName: 'Al', LastName: 'Bo' })
    expect(update.status).toBe(409)
    expect((await profileRow('uniq', 'U3')).attributes.lastname).toEqual(['Cy'])
    // A duplicate client-supplied id is 409 too.
    expect((await api.post('/profiles', { customer_id: 'U1' })).body.code).toBe('customer_exists')
  })

  it('a unique key over colliding existing profiles is refused and not created', async () => {
    const api = await tenantWithFixtures('uniq2')
    await api.post('/profiles', { customer_id: 'X1', Title: 'Dr' })
    await api.post('/profiles', { customer_id: 'X2', Title: 'Dr' })
    const response = await api.post('/metadata/identification-keys', {
      name: 'byTitle',
      unique: true,
      attributes: ['Title'],
    })
    expect(response.status).toBe(409)
    expect(response.body.code).toBe('key_values_not_unique')
    expect((await api.get('/metadata/identification-keys')).body).toEqual([])
    expect(await h.db.$count(keyEntries, eq(keyEntries.tenant, 'uniq2/'))).toBe(0)
  })

  it('concurrent creates with the same unique values: exactly one wins', async () => {
    const api = await tenantWithFixtures('uniq3')
    await api.post('/metadata/identification-keys', {
      name: 'byPhone',
      source: 'Phone',
      unique: true,
      attributes: ['PhoneNumber'],
    })
    const responses = await Promise.all(
      ['C1', 'C2', 'C3'].map((id) =>
        api.post('/profiles', { customer_id: id, Phone: [{ PhoneNumber: '999' }] }),
      ),
    )
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409])
    expect(await h.db.$count(profiles, eq(profiles.tenant, 'uniq3/'))).toBe(1)
  })
})

describe('update and delete by unique on a multi-valued extension', () => {
  it('changes the right record, leaves the others, and refuses what it cannot select', async () => {
    const api = await tenantWithFixtures('byunique')
    await api.post('/profiles', { customer_id: 'M', Phone: BRUCE_PHONES })
    const missingUnique = await api.put('/profiles/M/extensions/Phone/by/unique', {
      PhoneNumber: '6543210',
      description: 'x',
    })
    expect(missingUnique.status).toBe(400)
    const none = await api.put('/profiles/M/extensions/Phone/by/unique', {
      PhoneType: 9,
      PhoneNumber: '6543210',
    })
    expect(none.status).toBe(404)
    expect(none.body.code).toBe('record_not_found')
    expect(
      (
        await api.put('/profiles/M/extensions/Phone/by/unique', {
          PhoneType: 2,
          PhoneNumber: '6543210',
          description: 'x'.repeat(33),
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await api.put('/profiles/M/extensions/Phone/by/unique', {
          phonetype: 2,
          phonenumber: '6543210',
          Description: 'updated',
        })
      ).status,
    ).toBe(204)
    const phones = (await api.get('/profiles/M?extensions=Phone')).body.Phone
    expect(phones).toEqual([
      BRUCE_PHONES[0],
      { PhoneType: 2, prefix: '555', PhoneNumber: '6543210', description: 'updated' },
      BRUCE_PHONES[2],
    ])
    expect(
      (
        await api.put('/profiles/M/extensions/Phone/delete/by/unique', {
          PhoneType: 5,
          PhoneNumber: '951357456',
        })
      ).status,
    ).toBe(204)
    expect((await api.get('/profiles/M?extensions=Phone')).body.Phone).toHaveLength(2)
    expect(
      (
        await api.put('/profiles/NOBODY/extensions/Phone/delete/by/unique', {
          PhoneType: 5,
          PhoneNumber: '1',
        })
      ).status,
    ).toBe(404)
    await api.post('/metadata/profiles/extensions', {
      name: 'Pref',
      type: 'single-valued',
      attributes: [{ name: 'lang', type: 'string' }],
    })
    expect((await api.put('/profiles/M/extensions/Pref/by/unique', { lang: 'fr' })).body.code).toBe(
      'no_unique_key',
    )
  })

  it('Insert Extension Records replaces records with the same unique values and appends the others', async () => {
    const api = await tenantWithFixtures('merge')
    await api.post('/profiles', { customer_id: 'M', Phone: [BRUCE_PHONES[0]] })
    const response = await api.post('/profiles/M/extensions', {
      Phone: [{ ...BRUCE_PHONES[0], description: 'replaced' }, BRUCE_PHONES[1]],
    })
    expect(response.body.Phone.map((p: any) => p.description)).toEqual([
      'replaced',
      BRUCE_PHONES[1].description,
    ])
    const twice = await api.post('/profiles/M/extensions', { Phone: [BRUCE_PHONES[1], BRUCE_PHONES[1]] })
    expect(twice.status).toBe(400)
    expect((await api.post('/profiles/M/extensions', { FirstName: 'x' })).body.code).toBe('unknown_field')
    expect((await api.post('/profiles/OTHER/extensions', { Phone: [] })).status).toBe(404)
  })
})

describe('identify', () => {
  it('refuses a missing or unknown key, ignores unknown parameters, decodes values', async () => {
    const api = await tenantWithFixtures('ident')
    expect((await api.get('/profiles?FirstName=x')).body.code).toBe('no_identification_key')
    await api.post('/metadata/identification-keys', { name: 'byName', attributes: ['LastName', 'FirstName'] })
    await api.post('/metadata/identification-keys', { name: 'byMail', attributes: ['EmailAddress'] })
    await api.post('/profiles', {
      customer_id: 'I1',
      FirstName: 'Zoë',
      LastName: "O'Neil & Co",
      EmailAddress: 'z+1@x.org',
    })
    await api.post('/profiles', { customer_id: 'I2', FirstName: 'Yan', LastName: "O'Neil & Co" })
    expect((await api.get('/profiles?Title=Dr')).status).toBe(400)
    expect((await api.get('/profiles?id_key=nope&LastName=x')).body.code).toBe('no_identification_key')
    expect((await api.get('/profiles?id_key=byMail&LastName=x')).body.code).toBe('no_identification_key')
    const encoded = `/profiles?lastname=${encodeURIComponent("O'Neil & Co")}&FirstName=${encodeURIComponent('Zoë')}&color=red`
    expect((await api.get(encoded)).body).toEqual([{ customer_id: 'I1' }])
    // Only the first attribute of byName is given: the key prefix is used.
    expect(
      (await api.get(`/profiles?LastName=${encodeURIComponent("O'Neil & Co")}`)).body.map(
        (p: any) => p.customer_id,
      ),
    ).toEqual(['I1', 'I2'])
    expect(
      (await api.get(`/profiles?EmailAddress=${encodeURIComponent('z+1@x.org')}&include_profile=true`))
        .body[0].FirstName,
    ).toBe('Zoë')
    // A filter outside the chosen key narrows the result.
    expect(
      (await api.get(`/profiles?EmailAddress=${encodeURIComponent('z+1@x.org')}&FirstName=Yan`)).body,
    ).toEqual([])
    expect((await api.get('/profiles?LastName=x&include_profile=maybe')).status).toBe(400)
    expect((await api.get('/profiles?LastName=x&extensions=Nope')).status).toBe(400)
    expect((await api.get('/profiles?LastName=nobody')).body).toEqual([])
  })

  it('validates profile bodies: unknown fields, types, ids, mandatory core attributes', async () => {
    const api = await tenantWithFixtures('bodies')
    expect((await api.post('/profiles', { Nickname: 'x' })).body.code).toBe('unknown_field')
    expect((await api.post('/profiles', { DOB: '1962-02-30' })).status).toBe(400)
    expect((await api.post('/profiles', { customer_id: 'x'.repeat(17) })).status).toBe(400)
    expect((await api.post('/profiles', { customer_id: 'bad id' })).status).toBe(400)
    expect((await api.get(`/profiles/${'x'.repeat(17)}`)).status).toBe(400)
    expect((await api.get('/profiles/NOBODY')).status).toBe(404)
    expect((await api.put('/profiles/NOBODY', {})).status).toBe(404)
    await api.post('/profiles', { customer_id: 'same' })
    expect((await api.put('/profiles/same', { customer_id: 'other' })).status).toBe(400)
    expect(
      (
        await api.put('/metadata/profiles', {
          attributes: [{ name: 'FirstName', type: 'string', mandatory: true }],
        })
      ).status,
    ).toBe(200)
    expect((await api.post('/profiles', { LastName: 'x' })).status).toBe(400)
    expect((await api.post('/profiles', { firstname: 'Al' })).status).toBe(201)
    expect((await api.get('/metadata/profiles')).body).toEqual({
      attributes: [{ name: 'FirstName', type: 'string', mandatory: true }],
    })
    expect(
      (await api.put('/metadata/profiles', { attributes: [{ name: 'Phone', type: 'string' }] })).body.code,
    ).toBe('reserved_name')
  })
})

describe('profile schema changes', () => {
  it('deletes the stored values of removed attributes in the same write, and keeps the others', async () => {
    const api = await tenantWithFixtures('removal')
    await api.post('/profiles', {
      customer_id: 'R1',
      FirstName: 'Rita',
      Title: ['Dr', 'Prof'],
      DOB: '1970-01-02',
    })
    const withoutTitle = PROFILE_SCHEMA_WITH_DOB.attributes.filter((a) => a.name !== 'Title')
    expect((await api.put('/metadata/profiles', { attributes: withoutTitle })).status).toBe(200)
    expect((await profileRow('removal', 'R1')).attributes).toEqual({
      firstname: ['Rita'],
      dob: ['1970-01-02'],
    })
    const read = await api.get('/profiles/R1')
    expect(read.body).toEqual({
      customer_id: 'R1',
      FirstName: 'Rita',
      LastName: null,
      PhoneNumber: null,
      EmailAddress: null,
      DOB: '1970-01-02',
    })
    // Adding it back does not bring old values back.
    expect((await api.put('/metadata/profiles', PROFILE_SCHEMA_WITH_DOB)).status).toBe(200)
    expect((await api.get('/profiles/R1')).body.Title).toBeNull()
  })
})
