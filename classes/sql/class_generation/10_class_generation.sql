-- Class generation: the weekly timetable (public.class_timetable) made into classes
-- (public.classes) for a range of days, reached by the cron command (manage.py ensure_classes).

-- The classes the timetable holds at a branch from the first day to the last (days of the branch's
-- calendar; p_time_zone is the branch's zone), of every entry or of one (p_entry_id). The one
-- statement of "what the timetable wants": the generator below makes them, and a schedule change
-- (schedule/sql/schedule_changes/) compares them with the classes already made. An entry's start
-- is a wall-clock time in the branch's zone, so a 07:00 class is at 07:00 there in winter and in
-- summer. On the day clocks go forward a start that does not exist moves on by the gap, as the
-- clocks do (02:30 becomes 03:30); on the day they go back a start that happens twice is the
-- second one (standard time), once. A class lasts its minutes of real time.
create or replace function app_private.timetable_classes_wanted(
    p_branch_id uuid,
    p_start_date date,
    p_end_date date,
    p_time_zone text,
    p_entry_id uuid default null
) returns table (
    timetable_entry_id uuid, organization_id uuid, branch_id uuid, title text, instructor text, room text,
    capacity smallint, timetable_date date, starts_at timestamptz, ends_at timestamptz
)
    language sql stable
    set search_path = ''
as $$
    select entry.id, entry.organization_id, entry.branch_id, entry.title, entry.instructor, entry.room,
           entry.capacity, day::date,
           (day + entry.starts_at_local) at time zone p_time_zone,
           ((day + entry.starts_at_local) at time zone p_time_zone) + make_interval(mins => entry.duration_minutes)
    from public.class_timetable entry
    -- days as plain timestamps: wall-clock arithmetic, whatever the session's time zone
    cross join generate_series(
        greatest(p_start_date, entry.valid_from)::timestamp,
        least(p_end_date, coalesce(entry.valid_until, p_end_date))::timestamp,
        interval '1 day'
    ) as day
    where entry.branch_id = p_branch_id
      and (p_entry_id is null or entry.id = p_entry_id)
      and extract(isodow from day)::smallint = entry.weekday
$$;

-- The generator. Set-based: every class of every timetable entry of the branch in one statement.
-- Concurrent runs for a branch, and schedule changes at it, queue on the branch's advisory lock
-- (the one slot generation takes), so a run never makes a class from an entry a change is moving;
-- the unique key (timetable entry, day) and ON CONFLICT DO NOTHING make a duplicate impossible
-- anyway. Writes one audit entry when it creates classes, none otherwise. Classes already
-- generated are never changed here (a schedule change moves them), nor one-off classes, which have
-- no timetable entry.
create or replace function app_private.generate_classes(
    p_branch_id uuid,
    p_start_date date,
    p_end_date date,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_dry_run boolean default false
) returns table (created integer, already_present integer)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    max_days constant integer := app_private.slot_run_max_days();
    -- The classes the timetable holds (app_private.timetable_classes_wanted, above), used by every
    -- statement below ($1 branch, $2 first day, $3 last day, $4 the branch's time zone).
    wanted constant text := $wanted$
        select * from app_private.timetable_classes_wanted($1, $2, $3, $4)
    $wanted$;
    branch public.branches%rowtype;
    wanted_count integer;
begin
    if p_start_date is null or p_end_date is null then
        perform app_private.refuse('invalid_range', 'required');
    end if;
    if p_end_date < p_start_date then
        perform app_private.refuse('invalid_range', 'end_before_start', array[p_end_date::text, p_start_date::text]);
    end if;
    if p_end_date - p_start_date + 1 > max_days then
        perform app_private.refuse('invalid_range', 'longer_than_limit',
            array[(p_end_date - p_start_date + 1)::text, max_days::text]);
    end if;
    select * into branch from public.branches b where b.id = p_branch_id;
    if not found then
        perform app_private.refuse('not_found', 'branch', array[p_branch_id::text]);
    end if;

    perform app_private.take_lock('slot_generation', p_branch_id::text);

    execute 'select count(*) from (' || wanted || ') w'
        into wanted_count using p_branch_id, p_start_date, p_end_date, branch.time_zone;
    if p_dry_run then
        execute 'select count(*) from (' || wanted || ') w where not exists ('
                '    select from public.classes c'
                '    where c.timetable_entry_id = w.timetable_entry_id and c.timetable_date = w.timetable_date)'
            into created using p_branch_id, p_start_date, p_end_date, branch.time_zone;
    else
        execute 'insert into public.classes (id, organization_id, branch_id, title, instructor, room,'
                '    starts_at, ends_at, capacity, timetable_entry_id, timetable_date)'
                ' select gen_random_uuid(), w.organization_id, w.branch_id, w.title, w.instructor, w.room,'
                '    w.starts_at, w.ends_at, w.capacity, w.timetable_entry_id, w.timetable_date'
                ' from (' || wanted || ') w'
                ' on conflict (timetable_entry_id, timetable_date) where timetable_entry_id is not null do nothing'
            using p_branch_id, p_start_date, p_end_date, branch.time_zone;
        get diagnostics created = row_count;
    end if;
    already_present := wanted_count - created;

    if not p_dry_run and created > 0 then
        perform app_private.audit_record(
            p_action => 'classes.generated',
            p_entity_type => 'branch',
            p_entity_id => p_branch_id::text,
            p_source => p_source,
            p_actor_type => p_actor_type,
            p_actor_id => p_actor_id,
            p_actor_label => p_actor_label,
            p_organization_id => branch.organization_id,
            p_new_values => jsonb_build_object(
                'from', p_start_date, 'to', p_end_date, 'created', created, 'already_present', already_present
            ),
            p_branch_id => p_branch_id
        );
    end if;
    return next;
end
$$;
