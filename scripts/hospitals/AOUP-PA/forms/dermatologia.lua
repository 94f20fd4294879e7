-- Teledermatologia - AOU Policlinico "P. Giaccone", Palermo (HUB).
-- Anamnesis form sent with the photos of a skin lesion: site and size,
-- the ABCDE criteria with their score computed, symptoms, photo phototype.
local concerto = require "concerto"

local function si(v)
  return v == true and 1 or 0
end

return {
  id = "teledermatologia",
  title = "Teledermatologia - lesione cutanea",
  version = 1,
  sections = {
    {
      id = "lesione",
      title = "Lesione",
      fields = {
        { id = "sede", type = "single_choice", label = "Sede della lesione",
          required = true,
          choices = {
            { value = "volto", label = "Volto" },
            { value = "cuoio_capelluto", label = "Cuoio capelluto" },
            { value = "collo", label = "Collo" },
            { value = "tronco_anteriore", label = "Tronco anteriore" },
            { value = "dorso", label = "Dorso" },
            { value = "arti_superiori", label = "Arti superiori" },
            { value = "arti_inferiori", label = "Arti inferiori" },
            { value = "mani_piedi", label = "Mani / piedi (palmo, pianta)" },
            { value = "unghie", label = "Unghie" },
            { value = "mucose", label = "Mucose" },
          } },
        { id = "lato", type = "single_choice", label = "Lato",
          choices = {
            { value = "destro", label = "Destro" },
            { value = "sinistro", label = "Sinistro" },
            { value = "mediano", label = "Mediano / bilaterale" },
          } },
        { id = "diametro_mm", type = "number", label = "Diametro massimo",
          unit = "mm", min = 0.5, max = 500, step = 0.5, required = true },
        { id = "comparsa", type = "single_choice", label = "Da quanto è presente",
          required = true,
          choices = {
            { value = "meno_1_mese", label = "Meno di 1 mese" },
            { value = "1_6_mesi", label = "Da 1 a 6 mesi" },
            { value = "oltre_6_mesi", label = "Oltre 6 mesi" },
            { value = "nascita", label = "Dalla nascita" },
          } },
      },
    },
    {
      id = "abcde",
      title = "Criteri ABCDE",
      help = "Per le lesioni pigmentate.",
      fields = {
        { id = "pigmentata", type = "boolean", label = "Lesione pigmentata",
          required = true },
        { id = "asimmetria", type = "boolean", label = "A - Asimmetria",
          visible_if = { field = "pigmentata", equals = true } },
        { id = "bordi", type = "boolean", label = "B - Bordi irregolari",
          visible_if = { field = "pigmentata", equals = true } },
        { id = "colore", type = "boolean", label = "C - Colore disomogeneo",
          visible_if = { field = "pigmentata", equals = true } },
        { id = "evoluzione", type = "boolean",
          label = "E - Evoluzione (forma, colore, dimensioni)",
          visible_if = { field = "pigmentata", equals = true } },
        -- D (diameter > 6 mm) comes from the size above.
        { id = "punteggio_abcde", type = "computed", compute = "abcde",
          label = "Punteggio ABCDE (0-5)",
          visible_if = { field = "pigmentata", equals = true } },
      },
    },
    {
      id = "sintomi",
      title = "Sintomi e anamnesi",
      fields = {
        { id = "prurito", type = "scale", label = "Prurito", min = 0, max = 10,
          labels = { min = "Assente", max = "Insopportabile" } },
        { id = "sanguinamento", type = "boolean", label = "Sanguinamento" },
        { id = "fototipo", type = "single_choice", label = "Fototipo (Fitzpatrick)",
          choices = {
            { value = 1, label = "I" }, { value = 2, label = "II" },
            { value = 3, label = "III" }, { value = 4, label = "IV" },
            { value = 5, label = "V" }, { value = 6, label = "VI" },
          } },
        { id = "familiarita_melanoma", type = "boolean",
          label = "Familiarità per melanoma" },
        { id = "immunodepressione", type = "boolean",
          label = "Immunodepressione o trapianto" },
      },
    },
    {
      id = "immagini",
      title = "Immagini",
      fields = {
        { id = "foto_disponibile", type = "boolean",
          label = "Foto della lesione disponibile", required = true },
        { id = "numero_foto", type = "integer", label = "Numero di foto",
          min = 1, max = 10, required = true,
          visible_if = { field = "foto_disponibile", equals = true } },
        { id = "dermatoscopia", type = "boolean",
          label = "Immagine dermatoscopica inclusa",
          visible_if = { field = "foto_disponibile", equals = true } },
      },
    },
  },
  computed = {
    abcde = function(v)
      local d = (v.diametro_mm or 0) > 6 and 1 or 0
      return si(v.asimmetria) + si(v.bordi) + si(v.colore) + d +
             si(v.evoluzione)
    end,
  },
  validate = function(v)
    if (v.punteggio_abcde or 0) >= 3 and not v.foto_disponibile then
      return { { field = "foto_disponibile",
        message = "Con punteggio ABCDE pari o superiore a 3 serve almeno una foto" } }
    end
  end,
}
