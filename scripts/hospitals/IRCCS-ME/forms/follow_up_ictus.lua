-- Follow-up post-ictus a 90 giorni - IRCCS Bonino-Pulejo, Messina (HUB).
-- Short outcome form: modified Rankin Scale, recurrence, rehabilitation.

return {
  id = "follow_up_ictus",
  title = "Follow-up post-ictus (90 giorni)",
  version = 1,
  sections = {
    {
      id = "esito",
      title = "Esito funzionale",
      fields = {
        { id = "data_ictus", type = "date", label = "Data dell'ictus",
          max = "today", required = true },
        { id = "mrs", type = "scale", label = "Modified Rankin Scale (mRS)",
          min = 0, max = 6, required = true,
          labels = { min = "0 - nessun sintomo", max = "6 - decesso" } },
        { id = "recidiva", type = "boolean", label = "Recidiva di ictus o TIA",
          required = true },
        { id = "data_recidiva", type = "date", label = "Data della recidiva",
          max = "today", required = true,
          visible_if = { field = "recidiva", equals = true } },
        { id = "riabilitazione", type = "single_choice",
          label = "Riabilitazione",
          visible_if = { field = "mrs", ["in"] = { 1, 2, 3, 4, 5 } },
          choices = {
            { value = "nessuna", label = "Nessuna" },
            { value = "ambulatoriale", label = "Ambulatoriale" },
            { value = "domiciliare", label = "Domiciliare" },
            { value = "ricovero", label = "In regime di ricovero" },
          } },
      },
    },
  },
  validate = function(v)
    if v.data_recidiva and v.data_recidiva < v.data_ictus then
      return { { field = "data_recidiva",
                 message = "La recidiva precede l'ictus indice" } }
    end
  end,
}
