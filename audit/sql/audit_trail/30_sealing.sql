-- Sealing: each entry's hash is sha256(the previous hash || the entry's content), in hex, from
-- the hash of the chain's last seal (64 zeros for a new chain). audit.chain.chain_hash is the
-- same in Python, for archives read outside the database.

-- One link of the chain; as the aggregate audit_chain_hash, used as a window over entries in
-- order, it chains a whole batch in one statement. `seed` is the hash the first entry follows.
create or replace function app_private.audit_chain_step(p_state text, p_seed text, p_content text) returns text
    language sql immutable parallel safe
begin atomic
    select encode(sha256(convert_to(coalesce(p_state, p_seed) || p_content, 'UTF8')), 'hex');
end;

create or replace aggregate app_private.audit_chain_hash(text, text) (
    sfunc = app_private.audit_chain_step,
    stype = text
);

-- Seal the next p_limit queued entries of one chain, after the queue position
-- (p_after_occurred_at, p_after_entry), in queue order (occurred_at, id), in one statement: the
-- queue is read in its index's order from that position, so a batch costs the same however long
-- the queue is and however many rows earlier batches took off it. The caller passes the last
-- position a batch returns, and starts each run from the beginning, where an entry that
-- committed late waits.
--
-- Only the queue trigger's rows are sure to be true; the tables' owner may add others. A row whose
-- entry is already sealed, does not exist, or belongs to another chain is taken off the queue
-- unsealed (verify_audit reports an entry neither sealed nor queued): an entry and its queue row
-- commit together, so no real entry is ever dropped.
--
-- Sealers of one chain (cron on two hosts, a verify, an export) take turns on the chain's
-- transaction-scoped lock, so they never fork it.
create or replace function app_private.audit_seal_batch(
    p_chain uuid,
    p_after_occurred_at timestamptz,
    p_after_entry uuid,
    p_limit integer,
    out taken integer,
    out sealed integer,
    out last_occurred_at timestamptz,
    out last_entry uuid
)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    head_position bigint;
    head_hash text;
begin
    perform app_private.take_lock('audit_seal', p_chain::text);
    -- The chain's last position: its newest seal, or the end of its newest run cut away with an
    -- archived month when no seal is newer.
    select head.position, head.hash into head_position, head_hash
    from (
        (select seal.position, seal.hash from public.audit_seals seal
         where seal.chain = p_chain order by seal.position desc limit 1)
        union all
        (select run.last_position, run.last_hash from public.audit_cut_runs run
         where run.chain = p_chain order by run.first_position desc limit 1)
    ) head
    order by head.position desc
    limit 1;
    head_position := coalesce(head_position, 0);
    head_hash := coalesce(head_hash, repeat('0', 64));

    -- Every step is a lookup by key or by row address, whatever the statistics of the moment
    -- say: the plan is made once per session and used for every batch, while the tables grow
    -- by millions of rows under it.
    with queued as materialized (
        select pending.ctid as row_address, pending.audit_log_id, pending.occurred_at
        from public.audit_pending pending
        where pending.chain = p_chain
          and (pending.occurred_at, pending.audit_log_id) > (p_after_occurred_at, p_after_entry)
        order by pending.occurred_at, pending.audit_log_id
        limit p_limit
    ),
    chained as (
        select queued.audit_log_id as id, queued.occurred_at,
               row_number() over queue_order as n,
               app_private.audit_chain_hash(head_hash, entry.content) over queue_order as hash
        from queued
        -- Each entry by its key, in its month's partition (LIMIT keeps the lookup a lookup).
        cross join lateral (
            select app_private.audit_entry_content(logged) as content
            from public.audit_logs logged
            where logged.id = queued.audit_log_id and logged.occurred_at = queued.occurred_at
              and coalesce(logged.organization_id, '00000000-0000-0000-0000-000000000000'::uuid) = p_chain
            limit 1
        ) entry
        left join lateral (
            select true as found from public.audit_seals seal where seal.audit_log_id = queued.audit_log_id limit 1
        ) sealed on true
        where sealed.found is null
        window queue_order as (
            order by queued.occurred_at, queued.audit_log_id rows between unbounded preceding and current row
        )
    ),
    sealing as (
        insert into public.audit_seals (audit_log_id, occurred_at, chain, position, previous_hash, hash)
        select chained.id, chained.occurred_at, p_chain, head_position + chained.n,
               coalesce(lag(chained.hash) over (order by chained.n), head_hash), chained.hash
        from chained
        returning 1
    ),
    dequeued as (
        -- the rows queued read, by their addresses (one statement, one snapshot: still theirs)
        delete from public.audit_pending pending
        where pending.ctid = any (array(select queued.row_address from queued))
        returning pending.occurred_at, pending.audit_log_id
    )
    select (select count(*) from dequeued), (select count(*) from sealing), last.occurred_at, last.audit_log_id
    into taken, sealed, last_occurred_at, last_entry
    from (select 1) one
    left join lateral (
        select dequeued.occurred_at, dequeued.audit_log_id from dequeued
        order by dequeued.occurred_at desc, dequeued.audit_log_id desc
        limit 1
    ) last on true;
end
$$;
