/// What the table benchmark's remittances are made of: the words the loading SQL draws from,
/// and the words its queries look for, so that filters match as they would in a bank's table
/// (a common first name, a bank, a rare account fragment, a currency, nothing at all).
struct TableSample: Sendable {
    static let firstNames = [
        "Alice", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo",
        "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Ursula", "Viktor", "Wen", "Ximena", "Yusuf",
        "Zofia", "Amara", "Bilal", "Chen", "Dara",
    ]
    static let lastNames = [
        "Smith", "Okafor", "Garcia", "Novak", "Kowalski", "Tanaka", "Haddad", "Silva", "Müller", "Rossi", "Nguyen",
        "Ivanova", "Khan", "Dubois", "Larsen", "Moreau", "Yilmaz", "Costa", "Fischer", "Sato", "Mensah", "Popescu",
        "Jensen", "Reyes", "Ali", "Berg", "Cohen", "Horvat", "Lindqvist", "Okoye",
    ]
    static let banks = [
        "First Bank", "Harbor Savings", "Northern Trust Union", "Baltic Credit", "Alpine Cantonal", "Sahel Commerce",
        "Pacific Mutual", "Danube Bank", "Atlas Finance", "Meridian Bank", "Cedar Credit Union", "Lagos Merchant",
        "Andes Banco", "Thames Clearing", "Rhine Girobank", "Nordic Sparbank",
    ]
    /// Repeated by how common each is: a quarter of all remittances are in euros.
    static let currencies = ["EUR", "EUR", "EUR", "EUR", "USD", "USD", "USD", "GBP", "GBP", "CHF", "PLN", "SEK", "JPY", "NGN", "INR", "MXN"]
    static let statuses = ["created", "amended", "cancelled"]

    /// Fills `remittances` with `rows` rows, the same ones for the same count (a fixed seed):
    /// one in 11 amended, one in 31 cancelled, half with a reference, amounts spread over five
    /// orders of magnitude. Ids are the MD5 of the row number, so they are repeatable too.
    static let loadSQL = """
        INSERT INTO remittances
        SELECT md5(i::text)::uuid, CASE WHEN i % 11 = 0 OR i % 31 = 0 THEN 2 ELSE 1 END,
          CASE WHEN i % 31 = 0 THEN 'cancelled' WHEN i % 11 = 0 THEN 'amended' ELSE 'created' END,
          ($1::text[])[1 + floor(random() * cardinality($1))::int] || ' ' || ($2::text[])[1 + floor(random() * cardinality($2))::int],
          ($3::text[])[1 + floor(random() * cardinality($3))::int],
          'DE' || lpad(floor(random() * 1e18)::bigint::text, 20, '0'),
          ($1::text[])[1 + floor(random() * cardinality($1))::int] || ' ' || ($2::text[])[1 + floor(random() * cardinality($2))::int],
          ($3::text[])[1 + floor(random() * cardinality($3))::int],
          'GB' || lpad(floor(random() * 1e18)::bigint::text, 20, '0'),
          floor(exp(random() * 13))::bigint * 100 + floor(random() * 100)::bigint,
          ($4::text[])[1 + floor(random() * cardinality($4))::int],
          CASE WHEN random() < 0.5 THEN NULL ELSE 'INV-' || floor(random() * 1000000)::int END,
          CASE WHEN i % 31 = 0 THEN 'customer asked' END,
          i, 1795800000000000 + i * 1000,
          1795800000000000 + i * 1000 + CASE WHEN i % 11 = 0 OR i % 31 = 0 THEN 60000000 ELSE 0 END
        FROM generate_series(1, $5::bigint) AS i
        """
}
