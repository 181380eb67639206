/** The schemas and body of the seed example (foundation issue; docs/behaviour.md#fixtures). */
export const SATISFACTION = {
  name: 'Satisfaction',
  type: 'multi-valued',
  unique: ['place'],
  attributes: [
    { name: 'rating', type: 'integer' },
    { name: 'pertinence', type: 'integer' },
    { name: 'usefull', type: 'boolean' },
    { name: 'place', type: 'string', length: 64, mandatory: true },
  ],
}

export const FEEDBACK = {
  name: 'Feedback',
  type: 'single-valued',
  attributes: [
    { name: 'FeedbackType', type: 'string', length: 32 },
    { name: 'rating', type: 'integer' },
    { name: 'notes', type: 'string', length: 256 },
  ],
}

export const SEED_END_BODY = {
  timestamp: '2009-05-12T12:05:12.145Z',
  interaction_id: '123ABCAADFJ1259ACF',
  media_type: 1,
  resource_id: 5005,
  resource_type: 2,
  disposition: 10,
  disposition_desc: 'SUCCESS',
  Feedback: {
    FeedbackType: 'survey',
    rating: 7,
    notes: 'warm welcome at frontdesk, thanks for the nice trip',
  },
  Satisfaction: [
    { rating: 2, pertinence: 8, usefull: true, place: 'Terranova mexico resort' },
    { rating: 8, pertinence: 4, usefull: false, place: 'Fancy resort Paris' },
  ],
}

export const x = (n: number, char = 'x') => char.repeat(n)

/** docs/behaviour.md#fixtures: the Phone profile extension of the vendor examples, corrected. */
export const PHONE = {
  name: 'Phone',
  type: 'multi-valued',
  unique: ['PhoneType', 'PhoneNumber'],
  attributes: [
    { name: 'PhoneType', type: 'integer', default: 0, mandatory: 'true' },
    { name: 'prefix', type: 'string', length: '3', default: '555' },
    { name: 'PhoneNumber', type: 'string', length: 15, mandatory: 'true' },
    { name: 'description', type: 'string', length: 32 },
    { name: 'start_availability', type: 'datetime' },
    { name: 'end_availability', type: 'datetime', mandatory: 'false' },
  ],
}

/** The predefined core attributes plus DOB (docs/behaviour.md#fixtures, before E10). */
export const PROFILE_SCHEMA_WITH_DOB = {
  attributes: [
    { name: 'FirstName', type: 'string' },
    { name: 'LastName', type: 'string' },
    { name: 'PhoneNumber', type: 'string' },
    { name: 'EmailAddress', type: 'string' },
    { name: 'Title', type: 'string' },
    { name: 'DOB', type: 'date' },
  ],
}
