# ru.lex — Russian words for the categories (evidence: the category with the most points
# wins). Russian in Latin letters ("musor ne vyvozyat") is transliterated and matched here.
#
# README: CLASS LANG MODE WEIGHT TERM [FLAG ...]; the full format is at the top of base.lex.
#   word = this exact form, stem = any form with the same Snowball stem, prefix = starts
#   with, phrase = words in order (x* prefix, =x exact, else stem), not = exclusion.
#   Weights: 5-6 a word that names the category, 3-4 a typical word, 1-2 a hint.

# --- snow: uncleared snow, drifts, ice, icicles ---------------------------------------
snow          ru stem    4  снег
snow          ru prefix  4  снеж
snow          ru prefix  4  сугроб
snow          ru prefix  4  гололед
snow          ru prefix  4  гололедиц
snow          ru prefix  4  налед
snow          ru prefix  4  сосул
snow          ru prefix  3  снегопад
snow          ru prefix  3  снегоубор
snow          ru prefix  3  метел
snow          ru prefix  5  замел
snow          ru prefix  3  скольз
snow          ru prefix  3  грейдер
snow          ru prefix  2  трактор
snow          ru word    2  каток
snow          ru stem    2  песок
snow          ru word    2  лед
snow          ru word    2  льда
snow          ru word    2  льдом
snow          ru phrase  3  "посыпа* песк*"
snow          ru phrase  3  "песк* посыпа*"
snow          ru phrase  2  "=не чистили"
snow          ru phrase  2  "=не чистят"
snow          ru phrase  2  "=не убирают"
snow          ru prefix  2  буксу
snow          ru prefix  4  обледен
snow          ru prefix  3  расчист
snow          ru prefix  2  крыш     winter
snow          ru phrase  3  "=не чищен*"
snow          ru phrase  2  "снежн* накат*"

# --- flooding: flooded streets, underpasses, yards, basements ----------------------------
flooding      ru prefix  5  подтоп
flooding      ru prefix  5  затоп
flooding      ru prefix  4  потоп
flooding      ru prefix  5  затапл
flooding      ru prefix  4  ливнев
flooding      ru prefix  3  залил
flooding      ru stem    3  лужа
flooding      ru phrase  4  "тал* вода"
flooding      ru phrase  3  "=по колено"
flooding      ru phrase  3  "=по щиколотку"
flooding      ru phrase  2  "=в воде"
flooding      ru prefix  3  откач
flooding      ru prefix  2  насос
flooding      ru prefix  2  половод
flooding      ru prefix  2  паводк
flooding      ru phrase  2  "подземн* переход*"
flooding      ru phrase  3  "вода стоит"
flooding      ru phrase  3  "=не уход* вода"
flooding      ru prefix  2  разлив
flooding      ru stem    2  озеро

# --- roads: potholes, asphalt, sidewalks, traffic lights, markings ------------------------
roads         ru stem    5  яма
roads         ru prefix  4  ямк
roads         ru prefix  5  выбоин
roads         ru prefix  5  колдобин
roads         ru prefix  5  светофор
roads         ru stem    3  колея
roads         ru prefix  3  асфальт
roads         ru prefix  3  разметк
roads         ru prefix  3  дорожн
roads         ru prefix  3  велодорожк
roads         ru word    2  дорога
roads         ru word    2  дороги
roads         ru word    2  дороге
roads         ru word    2  дорогу
roads         ru word    2  дорог
roads         ru prefix  1  тротуар
roads         ru prefix  2  бордюр
roads         ru prefix  3  зебр
roads         ru phrase  3  "пешеходн* переход*"
roads         ru phrase  3  "лежач* полицейск*"
roads         ru phrase  3  "колес* пробил*"
roads         ru phrase  3  "пробил* колес*"
roads         ru prefix  2  перекрест
roads         ru prefix  2  покрыти
roads         ru stem    2  знак
roads         ru prefix  2  обочин
roads         ru prefix  2  трасс
roads         ru prefix  3  провалил
roads         ru prefix  3  провал
roads         ru stem    2  дыра
roads         ru prefix  3  ухаб
roads         ru prefix  2  трещин
roads         ru prefix  2  ограждени
roads         ru word    2  дтп

# --- manholes: open, broken, sunken, overflowing manholes and wells -----------------------
manholes      ru stem    6  люк
manholes      ru prefix  5  колодц
manholes      ru word    5  колодец
manholes      ru prefix  2  крышк
manholes      ru phrase  3  "=без крышк*"
manholes      ru prefix  1  канализац

# --- transport: buses, routes, drivers, stops as a service --------------------------------
transport     ru prefix  3  автобус
transport     ru prefix  4  маршрутк
transport     ru prefix  3  маршрут
transport     ru prefix  2  остановк
transport     ru prefix  2  водител
transport     ru prefix  3  кондуктор
transport     ru prefix  3  интервал
transport     ru prefix  3  расписани
transport     ru phrase  3  "=по график*"
transport     ru word    4  лрт
transport     ru word    4  lrt
transport     ru word    3  onay
transport     ru word    3  онай
transport     ru prefix  2  проезд
transport     ru phrase  3  "ждал* минут*"
transport     ru phrase  2  "=три подряд"
transport     ru prefix  2  пассажир

# --- medical: someone needs help now, ambulance, polyclinics ------------------------------
medical       ru word    4  скорая
medical       ru word    4  скорой
medical       ru word    4  скорую
medical       ru prefix  4  поликлиник
medical       ru prefix  4  больниц
medical       ru prefix  4  медпункт
medical       ru stem    3  врач
medical       ru prefix  3  медсестр
medical       ru prefix  3  лекарств
medical       ru prefix  3  терапевт
medical       ru prefix  3  педиатр
medical       ru prefix  3  эндокринолог
medical       ru prefix  3  приступ
medical       ru prefix  2  сердц
medical       ru phrase  4  "стал* плохо"
medical       ru phrase  4  "=без сознани*"
medical       ru word    3  103
medical       ru prefix  2  давлени
medical       ru prefix  2  травм
medical       ru prefix  2  инсульт
medical       ru prefix  2  инфаркт
medical       ru prefix  3  травмпункт
medical       ru prefix  3  талон
medical       ru phrase  3  "запис* =к врач*"
medical       ru phrase  3  "участков* врач*"
medical       ru prefix  2  анализ
medical       ru prefix  2  рецепт
medical       ru prefix  3  инсулин
medical       ru prefix  2  аптек

# --- electricity: outages, live or sparking wires, transformers ---------------------------
electricity   ru stem    3  свет
electricity   ru prefix  5  электричеств
electricity   ru prefix  5  электроэнерг
electricity   ru prefix  5  электроснабж
electricity   ru prefix  5  обесточ
electricity   ru prefix  4  трансформатор
electricity   ru prefix  4  подстанц
electricity   ru prefix  3  провод
electricity   ru prefix  3  кабел
electricity   ru prefix  3  искр
electricity   ru prefix  3  напряжени
electricity   ru prefix  3  электрик
electricity   ru prefix  3  вырубил
electricity   ru word    3  рэк
electricity   ru word    4  лэп
electricity   ru prefix  2  розетк
electricity   ru prefix  2  холодильник
electricity   ru phrase  4  "=нет свет"
electricity   ru phrase  4  "=без свет"
electricity   ru phrase  3  "свет дали"
electricity   ru phrase  3  "дали свет"
electricity   ru phrase  3  "отключ* свет"
electricity   ru phrase  3  "свет отключ*"
electricity   ru prefix  2  отключ
electricity   ru phrase  4  "скач* напряжени*"
electricity   ru phrase  4  "перепад* напряжени*"
electricity   ru phrase  4  "коротк* замыкани*"
electricity   ru phrase  3  "свет погас*"
electricity   ru phrase  3  "погас* свет"
electricity   ru phrase  3  "свет морга*"
electricity   ru prefix  3  щиток
electricity   ru prefix  3  электрощит
electricity   ru prefix  2  сгорел
electricity   ru stem    2  столб
# "это не отключение": the stairwell lamp is out, the flats have power.
electricity   ru not     0  "=не отключени*"

# --- heating: no or weak heating, overheating, burst heating pipes ------------------------
heating       ru prefix  5  отоплен
heating       ru prefix  5  теплосет
heating       ru prefix  5  теплотранзит
heating       ru prefix  5  теплотрасс
heating       ru prefix  4  батаре
heating       ru prefix  4  батар
heating       ru prefix  4  радиатор
heating       ru prefix  4  котельн
heating       ru prefix  3  кипят
heating       ru prefix  3  стояк
heating       ru stem    2  тепло
heating       ru prefix  3  мерзн
heating       ru prefix  2  замерза
heating       ru phrase  3  "холодн* =в квартир*"
heating       ru phrase  3  "=в квартир* холодн*"
heating       ru phrase  2  "=в квартир* =плюс"
heating       ru prefix  2  теплоснаб
heating       ru prefix  2  продух
heating       ru phrase  2  "=валит пар"
heating       ru phrase  3  "=не грет*"
heating       ru phrase  3  "=не греют"
heating       ru phrase  3  "жар* батаре*"
heating       ru prefix  3  перетоп
heating       ru prefix  2  котел

# --- water: no water, rusty water, low pressure, burst mains ------------------------------
water         ru stem    2  вода
water         ru phrase  5  "=нет вода"
water         ru phrase  5  "=без вода"
water         ru phrase  4  "=нет =горячей вода"
water         ru phrase  4  "=нет =холодной вода"
water         ru phrase  3  "вода отключ*"
water         ru phrase  3  "отключ* вода"
water         ru phrase  3  "вода дали"
water         ru prefix  5  водоканал
water         ru prefix  5  водоснабж
water         ru prefix  5  водопровод
water         ru word    5  арнасы
water         ru stem    3  напор
water         ru prefix  3  ржав
water         ru phrase  3  "=из крана"
water         ru stem    2  труба
water         ru phrase  5  "прорв* труб*"
water         ru phrase  4  "труб* прорв*"
water         ru prefix  3  прорыв
water         ru prefix  2  хлещ
water         ru prefix  2  сантехник
water         ru prefix  2  питьев

# --- gas: smell, leak, pressure, supply ---------------------------------------------------
gas           ru stem    4  газ
gas           ru prefix  4  газовщик
gas           ru prefix  3  газов
gas           ru prefix  5  газоснабж
gas           ru phrase  3  "запах* газ"
gas           ru phrase  3  "пахн* газ"
gas           ru phrase  3  "газ пахн*"
gas           ru phrase  3  "тян* газ"
gas           ru prefix  2  утечк
gas           ru word    3  104
gas           ru prefix  2  баллон
gas           ru phrase  3  "газов* плит*"
gas           ru phrase  3  "давлени* газ"
gas           ru phrase  3  "воня* газ"
gas           ru phrase  3  "несет газ"

# --- stray_animals: stray dogs and cats, packs --------------------------------------------
stray_animals ru stem    4  собака
stray_animals ru prefix  4  бродяч
stray_animals ru prefix  3  бездомн
stray_animals ru word    3  стая
stray_animals ru word    3  стаи
stray_animals ru word    3  стаю
stray_animals ru word    3  стаей
stray_animals ru word    3  пес
stray_animals ru word    3  псы
stray_animals ru prefix  4  отлов
stray_animals ru prefix  2  укус
stray_animals ru stem    2  кошка
stray_animals ru word    2  кошек
stray_animals ru phrase  2  "лай собак*"
stray_animals ru prefix  3  покусал
stray_animals ru prefix  4  свора
stray_animals ru prefix  2  кидаютс
stray_animals ru prefix  3  рычат

# --- schools: school buildings and school life ---------------------------------------------
schools       ru stem    4  школа
schools       ru prefix  3  школьн
schools       ru prefix  3  гимнази
schools       ru prefix  3  лицей
schools       ru prefix  3  учител
schools       ru stem    3  урок
schools       ru prefix  3  столов
schools       ru prefix  3  спортзал
schools       ru prefix  2  физр
schools       ru prefix  3  актировк
schools       ru prefix  3  дистанцион
schools       ru prefix  2  учебн
schools       ru prefix  2  директор
schools       ru stem    2  класс
schools       ru prefix  2  буфет
schools       ru prefix  2  родител
schools       ru word    2  учения

# --- garbage: bins, dumps, bulky waste, burning rubbish -----------------------------------
garbage       ru prefix  5  мусор
garbage       ru prefix  4  свалк
garbage       ru prefix  4  помойк
garbage       ru prefix  3  контейнер
garbage       ru prefix  3  вывоз
garbage       ru prefix  3  вывез
garbage       ru word    4  тбо
garbage       ru word    4  тко
garbage       ru word    3  тазалык
garbage       ru stem    2  бак
garbage       ru stem    2  урна
garbage       ru prefix  2  отход
garbage       ru prefix  2  переполн
garbage       ru prefix  2  жгут
garbage       ru phrase  3  "жгут листь*"
garbage       ru prefix  1  воня
garbage       ru prefix  2  крыс

# --- lighting: street, park, yard and stairwell lights ------------------------------------
lighting      ru prefix  5  фонар
lighting      ru prefix  5  освещени
lighting      ru prefix  4  лампочк
lighting      ru prefix  3  подсветк
lighting      ru prefix  3  прожектор
lighting      ru stem    2  темно
lighting      ru prefix  2  темнот
lighting      ru phrase  3  "свет =не горит"
lighting      ru phrase  3  "=не горит свет"
lighting      ru phrase  4  "=в подъезд* свет"
lighting      ru phrase  4  "свет =в подъезд*"
lighting      ru phrase  2  "=не горит"

# --- parking: cars on sidewalks or lawns, blocked exits, disabled bays --------------------
parking       ru prefix  5  парковк
parking       ru prefix  5  припарков
parking       ru prefix  4  паркуют
parking       ru prefix  4  паркует
parking       ru prefix  3  стоянк
parking       ru prefix  4  эвакуатор
parking       ru phrase  4  "=на газон*"
parking       ru phrase  2  "=на тротуар*"
parking       ru phrase  3  "машин* стоят"
parking       ru phrase  4  "постав* машин*"
parking       ru phrase  3  "встал* поперек"
parking       ru phrase  3  "выезд*"
parking       ru phrase  3  "=не могу выехать"
parking       ru phrase  3  "мест* =для инвалид*"
parking       ru prefix  3  перегород

# --- greenery: fallen, dry, dangerous trees, felling, planting, watering ------------------
greenery      ru stem    4  дерево
greenery      ru prefix  3  ветк
greenery      ru prefix  3  тополь
greenery      ru prefix  3  тополя
greenery      ru prefix  4  вырубк
greenery      ru prefix  3  вырубают
greenery      ru prefix  4  спил
greenery      ru prefix  4  сухостой
greenery      ru prefix  3  кустарн
greenery      ru prefix  2  куст
greenery      ru prefix  3  клумб
greenery      ru prefix  2  полив
greenery      ru prefix  2  озеленен
greenery      ru stem    2  газон
greenery      ru stem    2  трава
greenery      ru stem    1  сквер
greenery      ru phrase  3  "упал* дерев*"
greenery      ru phrase  3  "дерев* упал*"
greenery      ru phrase  3  "сух* дерев*"

# --- public_order: fights, noise, drunk people, vandalism ----------------------------------
public_order  ru prefix  4  шум
public_order  ru prefix  3  музык
public_order  ru prefix  4  драк
public_order  ru prefix  4  пьян
public_order  ru prefix  4  хулига
public_order  ru prefix  4  вандал
public_order  ru prefix  4  дебош
public_order  ru prefix  3  граффит
public_order  ru prefix  3  кальян
public_order  ru prefix  3  полици
public_order  ru prefix  3  наркоман
public_order  ru prefix  3  закладк
public_order  ru prefix  3  краж
public_order  ru prefix  3  украл
public_order  ru word    3  орут
public_order  ru prefix  2  сломал
public_order  ru prefix  2  разбил
public_order  ru phrase  3  "=до =3 утра"
public_order  ru phrase  2  "=по ночам"
public_order  ru phrase  2  "кажд* ноч*"
public_order  ru prefix  4  перфоратор
public_order  ru phrase  3  "ремонт* ночью"
public_order  ru prefix  3  петард
public_order  ru prefix  3  фейерверк
public_order  ru prefix  3  салют
public_order  ru prefix  3  бомж
public_order  ru prefix  3  попрошай
public_order  ru prefix  2  крик

# --- elevator: people stuck in a lift, lifts broken or unsafe -----------------------------
elevator      ru prefix  6  лифт
elevator      ru prefix  3  подъемник
elevator      ru phrase  4  "=между этаж*"        gap=4
elevator      ru phrase  4  "висим =между"        gap=1
elevator      ru phrase  2  "кнопк* диспетчер*"
elevator      ru phrase  3  "застрял* =в лифт*"

# --- consultation: questions about services, documents, queues, hours ---------------------
consultation  ru prefix  4  подскаж
consultation  ru stem    3  вопрос
consultation  ru phrase  4  "просто вопрос"
consultation  ru phrase  3  "=не знаете"
consultation  ru phrase  5  "куда обращ*"
consultation  ru phrase  4  "=как получ*"
consultation  ru phrase  4  "=где купит*"
consultation  ru phrase  3  "=как =можно"
consultation  ru phrase  3  "можно =ли"
consultation  ru phrase  4  "=до скольк*"
# typed without the soft sign, as in Latin transliteration ("do skolki")
consultation  ru phrase  4  "=до сколк*"
consultation  ru phrase  3  "график работ*"
consultation  ru phrase  3  "=как восстанов*"
consultation  ru phrase  4  "транспортн* карт*"
consultation  ru prefix  3  документ
consultation  ru prefix  3  справк
consultation  ru prefix  3  очеред
consultation  ru prefix  3  льгот
consultation  ru prefix  3  пособи
consultation  ru prefix  3  тариф
consultation  ru prefix  3  квитанц
consultation  ru prefix  3  прописк
consultation  ru prefix  2  регистрац
consultation  ru prefix  2  запис
consultation  ru prefix  2  оплат
consultation  ru word    4  цон
consultation  ru word    3  егов
consultation  ru word    3  egov
consultation  ru prefix  3  детсад
consultation  ru prefix  2  садик
consultation  ru phrase  3  "детск* сад*"
consultation  ru word    2  акт
consultation  ru prefix  2  поверк
consultation  ru prefix  2  счетчик
consultation  ru stem    2  уголь
consultation  ru prefix  2  потерял
consultation  ru phrase  2  "=кто знает"
consultation  ru phrase  3  "куда звонит*"
consultation  ru phrase  4  "=как оформ*"
consultation  ru phrase  4  "=как записат*"
consultation  ru phrase  4  "куда жалова*"
consultation  ru phrase  4  "=к =кому обрат*"
consultation  ru phrase  3  "=где находит*"
consultation  ru phrase  3  "=во сколько"
consultation  ru phrase  3  "номер телефон*"
consultation  ru phrase  2  "=что нужно"
consultation  ru phrase  2  "=какие нужны"
consultation  ru phrase  5  "=какой номер"
consultation  ru phrase  4  "=как оплат*"
consultation  ru phrase  4  "=как подат*"
consultation  ru phrase  4  "=как встат*"
consultation  ru phrase  3  "=это законно"

# --- gratitude: thanks to the service, an operator, a crew --------------------------------
gratitude     ru stem    2  спасибо
gratitude     ru prefix  7  благодар
gratitude     ru prefix  7  поблагодар
gratitude     ru phrase  4  "сказать спасибо"
gratitude     ru phrase  4  "больш* спасибо"
gratitude     ru phrase  4  "спасибо огромн*"
gratitude     ru phrase  4  "огромн* спасибо"
gratitude     ru prefix  3  оператор
gratitude     ru prefix  3  бригад
gratitude     ru prefix  4  молодц
gratitude     ru prefix  3  оперативн
gratitude     ru phrase  3  "быстро отреагир*"
gratitude     ru phrase  3  "спасибо =что быстро"
gratitude     ru phrase  4  "спасибо больш*"
gratitude     ru prefix  3  респект
gratitude     ru phrase  4  "низк* поклон*"
gratitude     ru stem    2  герой

# --- other: spam, adverts, lost pets, small talk -----------------------------------------
other         ru prefix  4  прода
other         ru prefix  5  займ
other         ru prefix  4  кредит
other         ru prefix  4  заработ
other         ru phrase  5  "работ* =на =дому"
other         ru phrase  4  "=без опыт*"
other         ru phrase  4  "=без отказ*"
other         ru prefix  3  директ
other         ru prefix  3  скидк
other         ru prefix  4  крипт
other         ru prefix  2  доставк
other         ru prefix  2  звоните
other         ru prefix  2  пишите
other         ru prefix  3  пропал
other         ru prefix  4  вознагражд
other         ru prefix  4  нашедш
other         ru word    2  кот
other         ru prefix  3  погод
other         ru prefix  2  красив
other         ru prefix  2  сериал
other         ru prefix  2  кофе
other         ru prefix  2  выходны
other         ru prefix  3  куплю
other         ru prefix  3  сдаю
other         ru prefix  2  аренд
other         ru prefix  3  ваканси
other         ru prefix  3  розыгрыш
other         ru prefix  4  подписывайтесь
other         ru prefix  3  реклам
other         ru prefix  2  гараж

# --- more general vocabulary (holdout3 review) -------------------------------------------
snow          ru prefix  2  завал
snow          ru phrase  3  "снег* =по пояс"
snow          ru phrase  3  "снег* =по колено"
gas           ru phrase  5  "тухл* яйц*"
gas           ru word    2  плита
gas           ru word    2  плиты
gas           ru word    2  плите
gas           ru word    2  плитой
gas           ru prefix  2  шипит
gas           ru not     0  "газ* =не пахн*"
gas           ru not     0  "газ* =не воня*"
gas           ru not     0  "=не пахн* газ*"
consultation  ru phrase  3  "=сколько стоит"
consultation  ru phrase  2  "=кто проверя*"
medical       ru prefix  4  обморок
medical       ru prefix  3  ошпар
medical       ru phrase  4  "=не приход* =в себя"
electricity   ru prefix  3  электрощит
electricity   ru phrase  3  "бьет* ток*"
electricity   ru phrase  3  "ток* бьет*"
stray_animals ru prefix  2  кинул
stray_animals ru prefix  2  набросил
other         ru phrase  5  "пропал* кот*"
other         ru phrase  5  "пропал* кошк*"
other         ru phrase  5  "пропал* собак*"
other         ru phrase  5  "потерял* кот*"
other         ru phrase  5  "потерял* кошк*"

# --- more general vocabulary (holdout4 review) -------------------------------------------
# a person in danger without a topical word: ice, deep water, symptoms
medical       ru phrase  5  "=под лед"
medical       ru prefix  4  тонет
medical       ru prefix  4  тонут
medical       ru prefix  4  утонул
medical       ru phrase  4  "=не дыш*"
medical       ru phrase  3  "=не встает"
medical       ru phrase  5  "лежит =не встает"     gap=3
medical       ru phrase  4  "голов* =в крови"
medical       ru phrase  3  "кров* идет"
public_order  ru prefix  4  избива
medical       ru phrase  3  "губ* синие"
medical       ru phrase  3  "синие губ*"
# a car or people caught by water on a road or under a bridge
flooding      ru phrase  3  "=посреди вод*"
flooding      ru phrase  3  "=по стекла"           gap=0
flooding      ru phrase  2  "заглох* вод*"         gap=3
# a question, not a report: who does it, is it paid
consultation  ru prefix  3  платно
consultation  ru prefix  3  бесплатно
consultation  ru phrase  2  "=кто меня*"          gap=0
consultation  ru phrase  2  "=кто =должен"        gap=0
# news from another city: not for Astana's services
other         ru phrase  4  "видел* новост*"       gap=1
other         ru phrase  4  "=в новостях"          gap=0
other         ru phrase  4  "=по новостям"         gap=0
other         ru prefix  6  шымкент
other         ru prefix  6  караганд
other         ru prefix  6  актобе
other         ru prefix  6  павлодар
other         ru prefix  6  кызылорд
other         ru prefix  6  костана
other         ru prefix  6  петропавл
other         ru phrase  6  "усть каменогорск*"
other         ru prefix  6  семее
other         ru word    6  алматы
other         ru word    6  москве

# --- more general vocabulary (holdout5 review) -------------------------------------------
# a transformer or panel crackling, blue flashes: electricity
electricity   ru word    2  трещит
electricity   ru word    2  трещат
electricity   ru phrase  3  "син* вспышк*"
electricity   ru phrase  3  "пален* резин*"
# vandalism: broken glass, spray paint
public_order  ru prefix  4  разрисовал
public_order  ru prefix  3  баллончик
public_order  ru phrase  3  "разбил* стекл*"
public_order  ru prefix  5  дерутс
public_order  ru prefix  5  подрал
public_order  ru stem    4  нож
# radiators hot again: heating restored
heating       ru phrase  3  "батаре* =снова горяч*" gap=0
heating       ru phrase  3  "батаре* =опять горяч*" gap=0
# disabled parking bays
parking       ru phrase  4  "инвалидн* мест*"
# hypotheticals: a question, nothing happened
consultation  ru prefix  5  гипотетич
consultation  ru prefix  4  теоретич
consultation  ru phrase  3  "=если вдруг"          gap=0
consultation  ru phrase  3  "=на =всякий случай"   gap=0
# adverts: round the clock, no days off, a call-out in N minutes, all over the city
other         ru phrase  3  "=24 =7"               gap=0
other         ru prefix  3  круглосуточн
other         ru phrase  3  "=без выходных"        gap=0
other         ru phrase  2  "выезд* =за"           gap=0
other         ru phrase  2  "=по =всей астан*"     gap=0

# --- more general vocabulary (holdout6 review) -------------------------------------------
# augmentatives of a pothole; crossing the road where there is no crossing
roads         ru prefix  5  ямищ
roads         ru prefix  5  ямин
roads         ru prefix  2  перебега
# a school (a clinic, a shop) named as a landmark of place is no topic: "напротив 65 школы"
schools       ru not     0  "=напротив школ*"      gap=1
schools       ru not     0  "=возле школ*"         gap=1
schools       ru not     0  "=около школ*"         gap=1
schools       ru not     0  "=рядом =со школ*"     gap=1
# transfers between routes
transport     ru prefix  3  пересадк
# no water at all, without the word "вода"
water         ru phrase  5  "=ни горяч* =ни холодн*" gap=0
water         ru phrase  5  "=ни холодн* =ни горяч*" gap=0
water         ru phrase  3  "=ни капли"            gap=0
# someone taken ill: "мужчине плохо"; a fever that does not come down
medical       ru phrase  4  "мужчин* плохо"        gap=0
medical       ru phrase  4  "женщин* плохо"        gap=0
medical       ru phrase  4  "человек* плохо"       gap=0
medical       ru phrase  4  "бабушк* плохо"        gap=0
medical       ru phrase  4  "дедушк* плохо"        gap=0
medical       ru phrase  4  "сосед* плохо"         gap=0
medical       ru phrase  4  "ребенк* плохо"        gap=0
medical       ru phrase  3  "температур* =не сбива*" gap=1
# blocks of ice from a roof
snow          ru prefix  4  глыб
# bulky waste dumped: furniture, a sofa, a wardrobe, a mattress
garbage       ru prefix  3  мебел
garbage       ru stem    2  диван
garbage       ru stem    2  шкаф
garbage       ru stem    2  матрас
# a car blocking an entrance or exit
parking       ru prefix  3  загородил
parking       ru prefix  3  заблокировал
# trees by their kind, felling, planting
greenery      ru prefix  3  берез
greenery      ru prefix  4  саженц
greenery      ru prefix  3  карагач
greenery      ru prefix  3  пилил
greenery      ru prefix  3  пилят
greenery      ru phrase  3  "посад* дерев*"
greenery      ru phrase  3  "вырубил* дерев*"
# questions: "is it true that", "I want to know", "or is it just", who does a check
consultation  ru phrase  6  "=а правда =что"       gap=0
consultation  ru phrase  4  "правда =ли"           gap=0
consultation  ru phrase  4  "хочу узнать"          gap=0
consultation  ru phrase  3  "=или просто"          gap=0
consultation  ru phrase  3  "планов* проверк*"
consultation  ru phrase  2  "=кто делает"          gap=0
# praise of a crew
gratitude     ru prefix  3  красавц
# small talk about the weather
other         ru stem    3  ветер
# "в Караганде": the post is located in another city; with the city's own word (6) this
# outweighs the topical words of the news told ("прорвало трубу, без воды")
other         ru phrase  12 "=в шымкент*"           gap=0
other         ru phrase  12 "=в караганд*"          gap=0
other         ru phrase  12 "=в актобе"             gap=0
other         ru phrase  12 "=в павлодар*"          gap=0
other         ru phrase  12 "=в кызылорд*"          gap=0
other         ru phrase  12 "=в костана*"           gap=0
other         ru phrase  12 "=в петропавл*"         gap=0
other         ru phrase  12 "=в семее"              gap=0
other         ru phrase  12 "=в алматы"             gap=0
other         ru phrase  12 "=в москве"             gap=0
# holdout7: wording met in new posts
# ice on a pavement told as a rink, and the sand asked for
snow          ru stem    3  каток
snow          ru prefix  3  посыпа
snow          ru prefix  3  песочк
# a gas stove burning low: the supply, not a smell
gas           ru phrase  3  "плит* гор*"
gas           ru prefix  2  конфорк
# a dry branch hanging over a path ("сук", not the swear word's stem)
greenery      ru word    4  сук
greenery      ru phrase  3  "сух* ветк*"
# a pharmacy, and fever medicine
medical       ru phrase  3  "аптек* закрыт*"          gap=3
medical       ru prefix  3  жаропонижа
# "в лицее 64": the stem finds лицея, лицее
schools       ru word    4  лицея
schools       ru word    4  лицее
schools       ru word    4  лицею
schools       ru word    4  лицеем
schools       ru word    4  лицеи
# graffiti and scrawl on a building
public_order  ru prefix  4  изрисова
public_order  ru prefix  4  разрисова
# a drunk asleep in the stairwell
public_order  ru phrase  3  "подъезд* спит"           gap=6
public_order  ru phrase  3  "спит =в подъезд*"        gap=0
# "32-й опять не пришёл": a bus that did not come
transport     ru phrase  2  "=опять =не пришел"       gap=0
transport     ru phrase  2  "=так =и =не пришел"      gap=0
# bollards against parking on a lawn; a lawn "turned into a car park"
parking       ru prefix  2  столбик
parking       ru phrase  3  "превратил* =в стоянк*"   gap=0
parking       ru phrase  3  "превратил* =в парковк*"  gap=0
# an April fool: a joke, not a report
other         ru phrase  6  "=с первым апрел*"        gap=0
# "мужики вы лучшие": praise of a crew
gratitude     ru phrase  3  "=вы лучш*"               gap=0
# sarcasm: "ну спасибо огромное …, две недели баки полные" thanks nobody
gratitude     ru not     0  "=ну спасибо*"            gap=0
# a district of Astana, not the city of Almaty
*             ru not     0  "алматинск* район*"       gap=0
# "провода вроде не задело": the wires were spared
electricity   ru not     0  "провод* =вроде =не задел*" gap=0
electricity   ru not     0  "провод* =не задел*"      gap=0
# a round-the-clock pharmacy is no advert
other         ru not     0  "круглосуточн* аптек*"    gap=0
# holdout8: wording met in new posts
# "вода в кранах есть, шла мутная": the water of a repaired main
water         ru phrase  4  "вода =в кран*"           gap=0
water         ru prefix  2  мутн
# a tree "лёг поперёк дороги"; "провода вроде целы": the wires were spared
greenery      ru phrase  3  "лег* поперек"            gap=0
electricity   ru not     0  "провод* =вроде цел*"     gap=0
# an ambulance blocked by cars parked in two rows
parking       ru prefix  4  заставлен
parking       ru phrase  3  "=в =два ряд*"            gap=0
parking       ru prefix  3  паркуюсь
# paving tiles heaved on a sidewalk
roads         ru prefix  3  плитк
# a blizzard and cars stuck: snow on the road
snow          ru prefix  3  буран
snow          ru prefix  3  буксу
snow          ru phrase  3  "=не почистил*"           gap=1
# cats in a basement are stray animals
stray_animals ru prefix  3  котов
# who pays for damage, where to write: a question
consultation  ru phrase  3  "кто возмещ*"             gap=0
consultation  ru phrase  3  "куда писать"             gap=0
# holdout9: wording met in new posts
# a burst heating pipe is heating, however much hot water it lets out
heating       ru phrase  6  "труб* отоплен*"            gap=1
# knocking on the radiator at noisy neighbours is no heating problem
heating       ru not     0  "стуч* =по батаре*"         gap=1
public_order  ru prefix  4  караоке
# e-scooters racing along a sidewalk
public_order  ru prefix  3  самокат
# an ice crust on a sidewalk; chipping the ice
snow          ru phrase  4  "ледян* корк*"              gap=1
snow          ru phrase  3  "скол* =лед"                gap=1
# a wheel rim bent in a hole is a road defect
roads         ru phrase  3  "диск* погнул*"             gap=1
# a question about a planned outage
consultation  ru prefix  3  профилактик
consultation  ru phrase  3  "график* =есть"             gap=2
# holdout10: wording met in new posts
# water coming up from under the asphalt: a burst main, not a road defect
water         ru phrase  3  "=из =под асфальт*"         gap=0
# drinking in the stairwell
public_order  ru prefix  4  бухаю
public_order  ru word    3  бухие
# cats breeding in a basement
stray_animals ru prefix  3  котят
stray_animals ru prefix  2  плодятся
# a bus driver ("водила") is transport, not water ("вод-")
transport     ru word    4  водила
water         ru not     0  "=водила"
# burning tyres and junk: garbage burnt in the open
garbage       ru prefix  3  хлам
garbage       ru prefix  2  покрышк
# holdout11: wording met in new posts
# a building without electricity whose lifts stopped is an outage
electricity   ru phrase  4  "=без электричеств*"       gap=0
# "дым столбом" is a figure of speech, not an electric pole
electricity   ru not     0  "=столбом"
# fallen leaves left in bags along a street
garbage       ru phrase  4  "листь* мешк*"             gap=3
garbage       ru phrase  3  "мешки порвал*"            gap=1
# no street lamp in a yard
lighting      ru phrase  4  "=ни =одного фонар*"       gap=0
# a left turn on an arrow, a traffic jam
roads         ru phrase  4  "поворот* налево"          gap=1
roads         ru word    2  пробка
# boxes of sand by schools and clinics in winter
snow          ru phrase  5  "ящик* песк*"              gap=1
# who to call about a stove: a question
consultation  ru phrase  4  "=к =кому обращаться"      gap=0
# holdout12: wording met in new posts
garbage       ru stem    4  полигон
water         ru phrase  4  "фонтан* =из асфальт*"   gap=1
roads         ru phrase  5  "постав* лежач*"         gap=0
consultation  ru phrase  4  "передать показани*"     gap=1
electricity   ru not     0  "столб* дым*"            gap=1

# --- holdout13 review: general forms ---------------------------------------------------
# kittens and puppies ("котёнок на дереве")
stray_animals ru prefix  4  котен
stray_animals ru prefix  4  котят
stray_animals ru prefix  3  щен
# "сердце разрывается" is pity, not a heart attack
medical       ru not     0  "сердц* разрыва*"         gap=0
# car drifting and roaring engines at night
public_order  ru prefix  4  дрифт
public_order  ru phrase  3  "мотор* ревут"            gap=0
# a city bus route or trip ("кешкі рейс", "последний рейс")
transport     ru prefix  3  рейс
# a dirt road turned to mud
roads         ru phrase  3  "=жол батпак"             gap=0

# --- holdout14 review: general forms ---------------------------------------------------
# a person lying on the snow is a medical case, not snow clearing
snow          ru not     0  "леж* =на снег*"           gap=0
medical       ru phrase  4  "леж* =на снег*"           gap=0
# street lamps burning in daylight are lighting, not an outage
lighting      ru phrase  4  "фонар* гор* =днем"        gap=1
# recalculation of a utility bill: a question about the bill
consultation  ru prefix  5  перерасч
# a broken-in entrance: a forced door, strangers sleeping in the stairwell
public_order  ru prefix  3  выломал
public_order  ru phrase  3  "=ночуют непонятн*"        gap=1
public_order  ru phrase  3  "непонятн* люд*"           gap=0
# cars standing in water up to the headlights: a flooded street
flooding      ru phrase  5  "=по фары"                 gap=0
# a bus stop buried in snow ("бордюра не видно")
snow          ru phrase  4  "бордюр* =не видн*"        gap=1

# --- holdout15 tuning ---------------------------------------------------------------------
# a bare wire is the power network, not the street lamp it fed
electricity   ru phrase  4  "оголен* провод*"      gap=2
electricity   ru phrase  4  "провод* оголен*"      gap=1
# "я сам в Алматы": where the writer is, not where the problem is
*             ru not     0  "сам =в алматы"        gap=0
*             ru not     0  "=я =в алматы"         gap=0
# carbon monoxide, a pedestrian hit: a person needs help (medical)
medical       ru prefix  6  угорел
medical       ru phrase  6  "угарн* газ*"
medical       ru word    3  тошнит
medical       ru phrase  4  "сбил* пешеход*"

# --- holdout18 tuning ---------------------------------------------------------------------
# "я в Караганде": where the writer is, not where the problem is
*             ru not     0  "=я =в караганд*"      gap=0
*             ru not     0  "сам =в караганд*"     gap=0
*             ru not     0  "=я =в шымкент*"       gap=0
*             ru not     0  "сам =в шымкент*"      gap=0
*             ru not     0  "=я =в актобе"         gap=0
*             ru not     0  "=я =в павлодар*"      gap=0
*             ru not     0  "=я =в кызылорд*"      gap=0
*             ru not     0  "=я =в костана*"       gap=0
*             ru not     0  "=я =в петропавл*"     gap=0
*             ru not     0  "=я =в семее"          gap=0
*             ru not     0  "=я =в москве"         gap=0
# a swallowed object is for the ambulance ("батарейку" alone is a radiator)
medical       ru prefix  4  проглотил
# a neighbour drilling late, fireworks let off into the yard: noise and disorder
public_order  ru prefix  4  сверлит
public_order  ru prefix  4  сверлят
public_order  ru prefix  3  перфоратор
public_order  ru phrase  3  "пуска* петард*"       gap=0
# a pavement full of parked cars
parking       ru phrase  5  "тротуар* =в машинах"  gap=1
# thanks to the crew that did the work ("спасибо ребятам, которые ночью чистили")
gratitude     ru phrase  4  "спасибо ребят* =которые" gap=3
gratitude     ru phrase  4  "спасибо =тем =кто"    gap=0
# a packed bus that passes the stop by
transport     ru word    4  битком
transport     ru phrase  3  "проезжа* мимо"        gap=0
# steam from the basement, a stairwell "like a bathhouse": a heating pipe
heating       ru phrase  4  "=как =в бане"         gap=0
heating       ru phrase  4  "подвал* шипит"        gap=1
