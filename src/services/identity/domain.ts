/** A Keystone domain. nimbus has exactly one, `default`, as a devstack does. */
export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
}

export const DEFAULT_DOMAIN: Readonly<Domain> = Object.freeze({
  id: "default",
  name: "Default",
  description: "The default domain",
  enabled: true,
});

/** A reference to a domain by id or by name, as auth bodies and clouds.yaml give one. */
export interface DomainRef {
  id?: string;
  name?: string;
}

/**
 * The domain a reference names, if any. Names match case-insensitively, as they do
 * on Keystone's usual MySQL backend, since clouds.yaml files often say `default`.
 */
export function findDomain(ref: DomainRef): Domain | undefined {
  if (ref.id !== undefined) return ref.id === DEFAULT_DOMAIN.id ? DEFAULT_DOMAIN : undefined;
  if (ref.name !== undefined) return ref.name.toLowerCase() === "default" ? DEFAULT_DOMAIN : undefined;
  return undefined;
}

export function domainById(id: string): Domain | undefined {
  return findDomain({ id });
}
