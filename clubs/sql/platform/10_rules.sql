-- Generated from config/rules.py (manage.py freeze_sql writes it): do not edit; change the registry.

-- A rule's SQLSTATE and its message for a situation, the values put in (format's %s, in order).
-- An unknown code or situation is a mistake in the calling SQL, never a refusal of the user.
create or replace function app_private.refusal(
    p_code text, p_situation text default '', p_values text[] default '{}',
    out sqlstate text, out message text
)
    language plpgsql stable
    set search_path = ''
as $$
begin
    select r.sqlstate, format(r.message, variadic p_values) into sqlstate, message
    from (values
        ('member_not_active', '', 'CB001', 'The membership is %s: only active members can book.'),
        ('already_booked', '', 'CB002', 'The member already has a booking for this.'),
        ('started', '', 'CB003', 'It has already started or is over.'),
        ('unavailable', '', 'CB004', 'Not bookable: %s.'),
        ('outside_window', '', 'CB005', 'Too far ahead: bookable %s days in advance, from %s.'),
        ('overlapping', '', 'CB006', 'The member is already booked at that time: %s.'),
        ('entitlement_used_up', '', 'CB007', '%s %s used this %s.'),
        ('full', '', 'CB008', 'Full: %s places taken. The member can join the waitlist.'),
        ('not_found', '', 'CB009', 'That slot, class or member does not exist here.'),
        ('not_found', 'booking', 'CB009', 'That booking does not exist.'),
        ('not_found', 'branch', 'CB009', 'unknown branch %s'),
        ('not_found', 'closure', 'CB009', 'That closure does not exist.'),
        ('no_member', '', 'CB010', 'No member of an organization behind this token.'),
        ('no_member', 'slots', 'CB010', 'no member of an organization behind this token'),
        ('override_needs_reason', '', 'CB011', 'An override needs a note saying why.'),
        ('override_needs_reason', 'code', 'CB011', 'Choose a reason for the override.'),
        ('not_cancellable', '', 'CB012', 'Only confirmed or waitlisted bookings can be cancelled; this one is %s.'),
        ('not_cancellable', 'attendance', 'CB012', 'Only confirmed bookings can be marked %s; this one is %s.'),
        ('not_cancellable', 'undo', 'CB012', 'Only a check-in or a no-show can be undone; this booking is %s.'),
        ('too_early', '', 'CB013', 'Check-in opens an hour before the start.'),
        ('too_early', 'no_show', 'CB013', 'A no-show can only be marked once it has started.'),
        ('override_not_allowed', '', 'CB014', 'Only staff with the override permission may override.'),
        ('not_full', '', 'CB015', 'There are places left: book it rather than join the waitlist.'),
        ('not_movable', '', 'CB016', 'A booking cannot be moved to another member or item: cancel it and book again.'),
        ('busy', '', '55P03', 'Someone else is booking this right now; try again in a moment.'),
        ('busy', 'waitlist', '55P03', 'their bookings were being changed at that moment'),
        ('invalid_range', '', 'CS001', '%s is out of range: give a day from %s to %s (at most %s years from today at %s)'),
        ('invalid_range', 'days', 'CS001', '%s is out of range: give a number of days from 1 to %s'),
        ('invalid_range', 'backwards', 'CS001', '%s is before the start date %s'),
        ('invalid_range', 'too_long', 'CS001', '%s is %s days from %s: a run covers at most %s days'),
        ('invalid_range', 'required', 'CS001', 'start and end dates are required'),
        ('invalid_range', 'end_before_start', 'CS001', 'end date %s is before start date %s'),
        ('invalid_range', 'longer_than_limit', 'CS001', 'range of %s days is longer than the limit of %s days'),
        ('invalid_range', 'beyond_window', 'CS001', '%s is beyond the booking window: slots here can be booked up to %s days ahead, until %s'),
        ('start_in_past', '', 'CS002', '%s is before today at %s (%s in %s): its slots would already have ended'),
        ('start_in_past', 'classes', 'CS002', '%s is before today at %s (%s in %s): its classes would already be over'),
        ('start_in_past', 'member', 'CS002', 'start date %s is in the past (today is %s at the branch)'),
        ('closure_overlaps', '', 'CC001', 'It overlaps the closure of %s, %s (%s): reopen or shorten that one, or choose other times.'),
        ('closure_in_past', '', 'CC002', 'A closure cannot start in the past: it is %s at the branch now.'),
        ('closure_in_past', 'started', 'CC002', 'This closure has started: only its end, reason and note can change.'),
        ('closure_not_open', '', 'CC003', 'This closure was already reopened, on %s.'),
        ('closure_not_open', 'over', 'CC003', 'This closure is over (it ended %s): there is nothing left to reopen or cancel.'),
        ('closure_scope', '', 'CC004', '%s is not a facility of %s.')
    ) r (code, situation, sqlstate, message)
    where r.code = p_code and r.situation = p_situation;
    if sqlstate is null then
        raise exception 'no rule % with situation "%" in config/rules.py', p_code, p_situation;
    end if;
end
$$;

-- "3 of 4": a count against its limit, as config.rules.n_of_m writes it.
create or replace function app_private.n_of_m(p_n integer, p_m integer) returns text
    language sql immutable
    set search_path = ''
    return format('%s of %s', p_n, p_m);

-- Raise a refusal app_private.refusal described: its SQLSTATE, its message, its code as the detail.
create or replace function app_private.raise_refusal(p_code text, p_sqlstate text, p_message text)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    raise exception using message = p_message, errcode = p_sqlstate, detail = p_code;
end
$$;

-- Refuse by a rule's code.
create or replace function app_private.refuse(p_code text, p_situation text default '', p_values text[] default '{}')
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
declare
    rule record := app_private.refusal(p_code, p_situation, p_values);
begin
    perform app_private.raise_refusal(p_code, rule.sqlstate, rule.message);
end
$$;
