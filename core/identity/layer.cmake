# Who the caller is: sessions and tokens, passwords, directories, guests,
# the codice fiscale, module enablement per hospital.
concerto_layer(identity
  SOURCES auth.c client.c codice_fiscale.c guest.c ldap_auth.c password.c roles.c
    tenant_cache.c username.c
  LIBS PkgConfig::ARGON2 PkgConfig::LDAP PkgConfig::LBER)
