#!/bin/sh
# Makes what DDS Security needs for rtipc-bridge, with openssl only: a CA
# (identity and permissions CA at once), an identity certificate and key per
# NAME, a governance document (authentication, access control and encryption
# on every topic of every domain) and a permissions document granting each
# NAME publish and subscribe on every rtipc/ topic, both signed by the CA.
# The README's "Across hosts" shows the same steps.
#
# usage: make-pki.sh DIR NAME... [-- UNLISTED_NAME...]
#   UNLISTED_NAMEs get a certificate from the same CA but no permissions.
set -eu
dir=$1
shift
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -keyout ca.key -out ca.pem -subj "/O=rtipc/CN=rtipc bridge CA" 2>/dev/null

cert() {  # cert NAME: NAME.key, NAME.pem signed by the CA
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/O=rtipc/CN=$1" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
    -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}

cat >governance.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:noNamespaceSchemaLocation="http://www.omg.org/spec/DDS-SECURITY/20170901/omg_shared_ca_governance.xsd">
  <domain_access_rules>
    <domain_rule>
      <domains><id_range><min>0</min><max>230</max></id_range></domains>
      <allow_unauthenticated_participants>false</allow_unauthenticated_participants>
      <enable_join_access_control>true</enable_join_access_control>
      <discovery_protection_kind>ENCRYPT</discovery_protection_kind>
      <liveliness_protection_kind>ENCRYPT</liveliness_protection_kind>
      <rtps_protection_kind>NONE</rtps_protection_kind>
      <topic_access_rules>
        <topic_rule>
          <topic_expression>*</topic_expression>
          <enable_discovery_protection>true</enable_discovery_protection>
          <enable_liveliness_protection>false</enable_liveliness_protection>
          <enable_read_access_control>true</enable_read_access_control>
          <enable_write_access_control>true</enable_write_access_control>
          <metadata_protection_kind>ENCRYPT</metadata_protection_kind>
          <data_protection_kind>ENCRYPT</data_protection_kind>
        </topic_rule>
      </topic_access_rules>
    </domain_rule>
  </domain_access_rules>
</dds>
XML

listed=true
grants=""
for name in "$@"; do
  if [ "$name" = -- ]; then
    listed=false
    continue
  fi
  cert "$name"
  $listed || continue
  grants="$grants
    <grant name=\"$name\">
      <subject_name>O=rtipc,CN=$name</subject_name>
      <validity><not_before>2020-01-01T00:00:00</not_before><not_after>2100-01-01T00:00:00</not_after></validity>
      <allow_rule>
        <domains><id_range><min>0</min><max>230</max></id_range></domains>
        <publish><topics><topic>rtipc/*</topic></topics></publish>
        <subscribe><topics><topic>rtipc/*</topic></topics></subscribe>
      </allow_rule>
      <default>DENY</default>
    </grant>"
done
cat >permissions.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:noNamespaceSchemaLocation="http://www.omg.org/spec/DDS-SECURITY/20170901/omg_shared_ca_permissions.xsd">
  <permissions>$grants
  </permissions>
</dds>
XML

for doc in governance permissions; do
  openssl smime -sign -in "$doc.xml" -text -out "$doc.p7s" -signer ca.pem -inkey ca.key
done
