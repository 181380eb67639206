import * as v from 'valibot'
import type { ProfileValues } from '../db/tables'
import type { Json } from '../events/json'
import type { ProfileMetadata } from './core-attributes'

/**
 * A profile (docs/behaviour.md#representations): `customer_id`, then every core attribute in schema order (`null` when
 * unset, a scalar for one value, an array for several), then the requested extensions.
 */
export function profileJson(
  customerId: string,
  values: ProfileValues,
  profile: ProfileMetadata,
  extensions?: Json,
): Json {
  // Attribute names are the tenant's: built from entries, `__proto__` is an own key like any other.
  const json = Object.fromEntries([
    ['customer_id', customerId],
    ...profile.attributes.map(({ attribute, key }) => {
      const list = Object.hasOwn(values, key) ? values[key] : undefined
      return [attribute.name, !list?.length ? null : list.length === 1 ? list[0] : list]
    }),
  ])
  return { ...json, ...extensions }
}

/** A profile as emitted: `customer_id`, then the tenant's core attributes and requested extensions. */
export const ProfileSchema = v.looseObject({ customer_id: v.string() })
