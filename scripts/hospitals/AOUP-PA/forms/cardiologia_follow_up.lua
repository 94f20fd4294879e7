-- Follow-up cardiologico - AOU Policlinico "P. Giaccone", Palermo (HUB).
-- Anamnesis form for cardiology follow-up visits in telemedicine: vital
-- signs with the BMI computed from weight and height, symptoms since the
-- last visit, current therapy.
local concerto = require "concerto"

local ritmi = {
  { value = "sinusale", label = "Sinusale" },
  { value = "fa", label = "Fibrillazione atriale" },
  { value = "flutter", label = "Flutter atriale" },
  { value = "pm", label = "Ritmo da pacemaker" },
  { value = "altro", label = "Altro" },
}

return {
  id = "cardio_followup",
  title = "Follow-up cardiologico",
  version = 3,
  description = "Scheda di controllo per pazienti in follow-up cardiologico.",
  sections = {
    {
      id = "parametri",
      title = "Parametri vitali",
      fields = {
        { id = "pas", type = "integer", label = "Pressione arteriosa sistolica",
          unit = "mmHg", min = 60, max = 260, required = true },
        { id = "pad", type = "integer", label = "Pressione arteriosa diastolica",
          unit = "mmHg", min = 30, max = 160, required = true },
        { id = "fc", type = "integer", label = "Frequenza cardiaca",
          unit = "bpm", min = 20, max = 250, required = true },
        { id = "ritmo", type = "single_choice", label = "Ritmo all'ECG",
          choices = ritmi },
        { id = "peso", type = "number", label = "Peso", unit = "kg",
          min = 2, max = 400, step = 0.1, required = true },
        { id = "altezza", type = "number", label = "Altezza", unit = "cm",
          min = 40, max = 250, step = 0.5, required = true },
        -- Read-only in the UI: recomputed by the server on every submission.
        { id = "bmi", type = "computed", compute = "bmi",
          label = "Indice di massa corporea (BMI)", unit = "kg/m²" },
      },
    },
    {
      id = "sintomi",
      title = "Sintomi dall'ultima visita",
      fields = {
        { id = "dolore_toracico", type = "boolean", label = "Dolore toracico",
          required = true },
        -- Only asked when there was chest pain (and then mandatory).
        { id = "dolore_tipo", type = "single_choice",
          label = "Caratteristiche del dolore", required = true,
          visible_if = { field = "dolore_toracico", equals = true },
          choices = {
            { value = "tipico", label = "Angina tipica" },
            { value = "atipico", label = "Angina atipica" },
            { value = "non_anginoso", label = "Dolore non anginoso" },
          } },
        { id = "dolore_frequenza", type = "single_choice",
          label = "Frequenza degli episodi",
          visible_if = { field = "dolore_toracico", equals = true },
          choices = {
            { value = "singolo", label = "Episodio singolo" },
            { value = "settimanale", label = "Settimanale" },
            { value = "quotidiano", label = "Quotidiano" },
          } },
        { id = "nyha", type = "scale", label = "Dispnea (classe NYHA)",
          min = 1, max = 4, required = true,
          labels = { min = "I - nessuna limitazione",
                     max = "IV - sintomi a riposo" },
          help = "Classe funzionale New York Heart Association." },
        { id = "palpitazioni", type = "boolean", label = "Palpitazioni" },
        { id = "sincope", type = "boolean", label = "Sincope o pre-sincope" },
        { id = "edemi", type = "single_choice", label = "Edemi declivi",
          choices = {
            { value = "assenti", label = "Assenti" },
            { value = "lievi", label = "Lievi (caviglia)" },
            { value = "moderati", label = "Moderati (gamba)" },
            { value = "importanti", label = "Importanti (coscia)" },
          } },
      },
    },
    {
      id = "terapia",
      title = "Terapia",
      fields = {
        { id = "terapia_in_atto", type = "long_text", label = "Terapia in atto",
          help = "Farmaco, dosaggio e posologia, uno per riga.",
          max_length = 4000, required = true },
        { id = "anticoagulante", type = "single_choice",
          label = "Terapia anticoagulante", required = true,
          choices = {
            { value = "nessuna", label = "Nessuna" },
            { value = "warfarin", label = "Warfarin / acenocumarolo" },
            { value = "doac", label = "Anticoagulante orale diretto (DOAC)" },
            { value = "eparina", label = "Eparina" },
          } },
        { id = "inr", type = "number", label = "Ultimo INR", min = 0.5,
          max = 10, step = 0.1, required = true,
          visible_if = { field = "anticoagulante", equals = "warfarin" } },
        { id = "aderenza", type = "single_choice",
          label = "Aderenza alla terapia",
          choices = {
            { value = "buona", label = "Buona" },
            { value = "parziale", label = "Parziale" },
            { value = "scarsa", label = "Scarsa" },
          } },
        { id = "note", type = "long_text", label = "Note" },
      },
    },
  },
  computed = {
    -- Body mass index, one decimal; nil until weight and height are valid.
    bmi = function(v)
      if not v.peso or not v.altezza then
        return nil
      end
      local m = v.altezza / 100
      return concerto.round(v.peso / (m * m), 1)
    end,
  },
  -- Cross-field checks, run once every field is valid.
  validate = function(v)
    local errors = {}
    if v.pad >= v.pas then
      errors[#errors + 1] = { field = "pad",
        message = "La diastolica deve essere inferiore alla sistolica" }
    end
    return errors
  end,
}
