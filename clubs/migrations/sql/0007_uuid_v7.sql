-- Frozen from clubs/sql/ids/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.

-- clubs/sql/ids/10_uuid_v7.sql
-- Time-ordered row keys: UUID version 7 (RFC 9562), the default of the keys of tables written in
-- bulk (slots, bookings). A random key (version 4) lands anywhere in its index, so every insert
-- dirties another page of every index that leads with it; a version 7 key lands at the end, as a
-- sequence's number would, and stays a UUID, unguessable and unique without a round trip.
-- PostgreSQL 18 has uuidv7(); PostgreSQL 15 (and Supabase's) has none, hence this function.
--
-- Layout (RFC 9562 section 5.7, with method 3 of section 6.2 for rand_a): 48 bits of Unix time in
-- milliseconds, the version (7), 12 bits of the fraction of that millisecond (so keys made in the
-- same millisecond are ordered too), then the variant and 62 random bits, taken from
-- gen_random_uuid() (a version 4 UUID's last 8 bytes are exactly the variant and 62 random bits,
-- from the same cryptographically strong source).
create or replace function app_private.uuid_v7() returns uuid
    language plpgsql volatile parallel safe
    set search_path = ''
as $$
declare
    microseconds constant bigint := (pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()) * 1000000)::bigint;
begin
    return pg_catalog.encode(
        pg_catalog.int8send(((microseconds / 1000) << 16) | 28672 | (microseconds % 1000 * 4096 / 1000))  -- 28672: 0x7000, the version
        || pg_catalog.substr(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 9),
        'hex')::uuid;
end
$$;

-- Keys for the rows one statement writes in bulk, without a call per row (a call costs about as
-- much as the rest of writing a slot): RFC 9562's method 2 (section 6.2, "monotonic random"), one
-- version 7 key drawn now whose random part grows by one for each further row. The n-th row's key
-- is encode(prefix || int8send(counter + n), 'hex')::uuid, n from 1: prefix is the key's time and
-- version (its first 8 bytes), counter its variant and random bits with the highest random bit
-- cleared, so adding up to 2^61 never reaches the variant. In order of n, after every key made
-- before the statement.
create or replace function app_private.uuid_v7_batch(out prefix bytea, out counter bigint)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    first_key constant bytea := pg_catalog.uuid_send(app_private.uuid_v7());
begin
    prefix := pg_catalog.substr(first_key, 1, 8);
    counter := ('x' || pg_catalog.encode(pg_catalog.substr(first_key, 9), 'hex'))::bit(64)::bigint
               & ~(1::bigint << 61);
end
$$;
