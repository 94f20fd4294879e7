-- Rules of AOU Policlinico Palermo (HUB). Only ticket routing is custom:
-- route_teleconsult, signature_policy and on_event use the documented
-- defaults (docs/scripting.md).

return {
  route_ticket = function(ticket)
    -- The radiology PACS integration has its own team.
    if ticket.module == "rispacs" then
      return { queue = "pacs", severity = ticket.blocking and "high" or "normal" }
    end
    return { queue = "first_level",
             severity = ticket.blocking and "high" or "normal" }
  end,
}
